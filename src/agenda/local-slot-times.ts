import { type AgendaSitting, localIso, slotTimes } from '../domain/agenda.ts';

/*
 * Every page and API answer that shows where a request sits works out its sitting's slot times, and
 * luxon does each with a zone-offset look-up through Intl. They depend only on the sitting's shape,
 * so they are remembered by it (a bounded map, started afresh when full).
 */

/** One slot's local start and end: ISO 8601 with the zone's offset and no milliseconds. */
export interface LocalSlot {
  readonly slot: number;
  readonly startsAt: string;
  readonly endsAt: string;
}

const remembered = new Map<string, readonly LocalSlot[]>();
const limit = 2000;

/**
 * `slotTimes` of the sitting as local ISO strings (`localIso`), remembered by the sitting's start,
 * slots, break and zone. The array and its slots are frozen: shared between callers.
 */
export function localSlotTimes(sitting: AgendaSitting): readonly LocalSlot[] {
  const key = JSON.stringify([
    sitting.startsAt,
    sitting.slotMinutes,
    sitting.slots,
    sitting.breakAfterSlot,
    sitting.breakMinutes,
    sitting.timezone ?? null,
  ]);
  let slots = remembered.get(key);
  if (slots === undefined) {
    slots = Object.freeze(
      slotTimes(sitting).map((t) =>
        Object.freeze({ slot: t.slot, startsAt: localIso(t.startsAt), endsAt: localIso(t.endsAt) }),
      ),
    );
    if (remembered.size >= limit) remembered.clear();
    remembered.set(key, slots);
  }
  return slots;
}

/**
 * The local start of `slot` and the local end of the last of the `slotsUsed` slots it takes (cut at
 * the sitting's last slot), as `localSlotTimes` gives them; null for a slot beyond the sitting.
 */
export function localSlotSpan(
  sitting: AgendaSitting,
  slot: number,
  slotsUsed: number,
): { startsAt: string; endsAt: string } | null {
  const times = localSlotTimes(sitting);
  const first = times[slot];
  const last = times[Math.min(slot + slotsUsed, times.length) - 1];
  return first === undefined || last === undefined ? null : { startsAt: first.startsAt, endsAt: last.endsAt };
}
