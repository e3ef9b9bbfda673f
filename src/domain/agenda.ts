import { DateTime } from 'luxon';
import { Board, type SlotGrid, slotRangeValid } from './agenda-board.ts';
import {
  type AgendaPriority,
  compareAgendaPriority,
  familyPriority,
  millis,
  requestPriority,
} from './agenda-priority.ts';

export { type SlotGrid, slotRangeValid } from './agenda-board.ts';

/*
 * The agenda builder: pure, no clock, no IO. Candidates in, one sitting's agenda out.
 *
 * Steps, in this order:
 * 1. Gates per request, in the order of the EHA principles: a NEW request without recorded consent is
 *    deferred `consent-missing` (even if its proforma is missing too; reviews are of EHAs that already
 *    have consent); then a proforma not submitted by its deadline is deferred `proforma-missing`
 *    (policy `defer`) or heard with the flag `proforma-missing` (policy `flag`).
 * 2. Whole family: the requests that pass the gates form ONE item per family.
 * 3. Order: see `compareAgendaPriority` (agenda-priority.ts).
 * 4. Pins first (they keep their slot), then admission in priority order: an item is admitted when all
 *    admitted items still fit in the free slots, else all its requests are deferred `no-slot`.
 * 5. Placement: items with an attendance window go inside it when possible, then the rest take the
 *    earliest free slots in priority order. A multi-slot item never straddles the break.
 */

export type Urgency = 'high' | 'normal' | 'low';
export type RequestKind = 'new' | 'review';
export type DeferralReason = 'no-slot' | 'consent-missing' | 'proforma-missing' | 'chair-deferred';

/** Item flags, in the order they are listed. */
export const agendaFlags = [
  'proforma-missing', // heard without its proforma (policy `flag`)
  'proforma-pending', // proforma not in yet, but its deadline has not passed
  'review-overdue', // holds a review whose due date is before the sitting starts
  'carried-over', // holds a request deferred from an earlier sitting
  'part-deferred', // some of the family's requests are deferred (e.g. one sibling lacks consent)
  'outside-window', // could not be placed inside the school's attendance window
  'pin-conflict', // pinned or moved by the chair to a slot it can no longer take; placed afresh
] as const;
export type AgendaFlag = (typeof agendaFlags)[number];

/** One sitting's shape. Times are instants; the attendance windows are read in `timezone`. */
export interface AgendaSitting {
  /** ISO 8601 instant with offset, e.g. `2027-03-31T09:30:00+01:00`. */
  startsAt: string;
  slotMinutes: number;
  /** Number of slots, numbered 0..slots-1. */
  slots: number;
  /** The break follows this slot, counting from 1 (`4` = after the fourth slot); null for none. */
  breakAfterSlot: number | null;
  breakMinutes: number;
  /** IANA zone of the hub; default `Europe/London`. */
  timezone?: string;
}

export interface AgendaPolicy {
  missingProforma: 'defer' | 'flag';
  /** Slots taken by a complex item (1..4). */
  complexSlots: number;
  /** An item with at least this many children (summed over its requests) is complex. */
  childrenForComplex: number;
}

export interface AgendaCandidate {
  /** The request's reference; also the last tie-breaker (compared by code unit). */
  id: string;
  familyId: string;
  schoolId: string | null;
  kind: RequestKind;
  urgency: Urgency;
  /** ISO instant. */
  receivedAt: string;
  consent: boolean;
  proformaSubmitted: boolean;
  /** Whether the proforma's deadline has passed; a proforma not in before it is only pending. Default true. */
  proformaDeadlinePassed?: boolean;
  children: number;
  complex: boolean;
  /** Sittings this request has already been carried over from; 2 or more lifts it to the top of its band. */
  timesCarriedOver: number;
  /** ISO instant; a review due before the sitting starts is overdue. */
  reviewDueAt: string | null;
  /** Local wall times `HH:mm` in the sitting's zone, `from` < `to`. */
  attendanceWindow: { from: string; to: string } | null;
  /** Slot (from 0) the chair pinned or moved this request's item to; null when not pinned. */
  pinnedSlot: number | null;
}

export interface AgendaInput {
  sitting: AgendaSitting;
  policy: AgendaPolicy;
  requests: AgendaCandidate[];
}

export interface AgendaItem {
  /** First slot, from 0. */
  slot: number;
  slotsUsed: number;
  /** ISO instants in the sitting's zone (local offset). */
  startsAt: string;
  endsAt: string;
  familyId: string;
  /** In priority order. */
  requestIds: string[];
  flags: AgendaFlag[];
}

export interface AgendaDeferral {
  requestId: string;
  reason: DeferralReason;
}

/** Every candidate appears exactly once: in one item's `requestIds` or in `deferred`. */
export interface Agenda {
  /** In slot order. */
  items: AgendaItem[];
  /** In priority order (most pressing first). */
  deferred: AgendaDeferral[];
}

/**
 * Start and end instants of each slot, in the sitting's zone. Slot `i` starts `i * slotMinutes` after
 * the sitting starts, plus the break for slots after it; elapsed minutes, so a DST change is honest.
 */
export function slotTimes(
  sitting: AgendaSitting,
): Array<{ slot: number; startsAt: DateTime; endsAt: DateTime }> {
  const zone = sitting.timezone ?? 'Europe/London';
  const start = DateTime.fromISO(sitting.startsAt, { setZone: true }).setZone(zone);
  // Elapsed minutes from the start's instant: the same instants as `start.plus({ minutes })`, with one
  // zone-offset look-up each instead of three (pages work out every slot of a sitting per request).
  const startMs = start.toMillis();
  const after = (minutes: number) =>
    start.isValid
      ? DateTime.fromMillis(startMs + minutes * 60_000, { zone: start.zone })
      : start.plus({ minutes });
  return Array.from({ length: sitting.slots }, (_, slot) => {
    const pause =
      sitting.breakAfterSlot !== null && slot >= sitting.breakAfterSlot ? sitting.breakMinutes : 0;
    const minutes = slot * sitting.slotMinutes + pause;
    return { slot, startsAt: after(minutes), endsAt: after(minutes + sitting.slotMinutes) };
  });
}

/** ISO with the local offset and no milliseconds, e.g. `2027-03-31T09:30:00+01:00`. */
export function localIso(instant: DateTime): string {
  return instant.toISO({ suppressMilliseconds: true }) ?? '';
}

interface FamilyItem {
  familyId: string;
  requests: AgendaCandidate[];
  priority: AgendaPriority;
  size: number;
  /** Epoch-ms window (intersection of its requests' windows); `empty` when they do not overlap. */
  window: { from: number; to: number } | 'none' | 'empty';
  pin: number | null;
  flags: Set<AgendaFlag>;
  slot: number | null;
}

/**
 * Builds one sitting's agenda. Pure and deterministic: the same input gives the same agenda.
 * Precondition: valid input (unique request ids, times parse, windows `from` < `to`); the CLI and the
 * service validate before calling.
 *
 * Family items with mixed attributes (all computed over the requests that pass the gates):
 * - priority: see `familyPriority` (most urgent request, oldest wait, raised/overdue if any is);
 * - size: `complexSlots` if the children of its requests sum to `childrenForComplex` or more, or any
 *   request is complex; else 1 (a child named in two requests of the family is counted twice);
 * - attendance window: the intersection of its requests' windows (every school attending must be able
 *   to); a request without a window adds no constraint; an empty intersection is flagged `outside-window`;
 * - pin: the smallest `pinnedSlot` among its requests (the service gives all of them the item's slot);
 * - flags: the union of its requests' flags, plus `part-deferred` if a sibling request was gated out;
 * - `no-slot` defers the whole item, so siblings are never split by lack of room.
 */
export function buildAgenda(input: AgendaInput): Agenda {
  const { sitting, policy } = input;
  const zone = sitting.timezone ?? 'Europe/London';
  const sittingStart = millis(sitting.startsAt);
  // Slot instants as epoch ms (elapsed minutes, so a DST change is honest); luxon only for output.
  const startMs = Array.from({ length: sitting.slots }, (_, slot) => {
    const pause =
      sitting.breakAfterSlot !== null && slot >= sitting.breakAfterSlot ? sitting.breakMinutes : 0;
    return sittingStart + (slot * sitting.slotMinutes + pause) * 60_000;
  });
  const endMs = startMs.map((ms) => ms + sitting.slotMinutes * 60_000);
  const local = (ms: number) => localIso(DateTime.fromMillis(ms, { zone }));
  const localDay = DateTime.fromMillis(sittingStart, { zone });
  const wallClocks = new Map<string, number>();
  const wallClock = (hhmm: string) => {
    let ms = wallClocks.get(hhmm);
    if (ms === undefined) {
      const [hour, minute] = hhmm.split(':').map(Number);
      ms = localDay.set({ hour, minute, second: 0, millisecond: 0 }).toMillis();
      wallClocks.set(hhmm, ms);
    }
    return ms;
  };

  const priorities = new Map(input.requests.map((r) => [r.id, requestPriority(r, sittingStart)]));
  const byPriority = (a: AgendaCandidate, b: AgendaCandidate) =>
    compareAgendaPriority(priorities.get(a.id)!, priorities.get(b.id)!);
  const deferred: AgendaDeferral[] = [];
  const heard = new Map<string, AgendaCandidate[]>();
  const gatedFamilies = new Set<string>();
  const requestFlags = new Map<string, AgendaFlag[]>();

  // 1. Gates, consent first.
  for (const request of [...input.requests].sort(byPriority)) {
    const flags: AgendaFlag[] = [];
    let reason: DeferralReason | null = null;
    if (request.kind === 'new' && !request.consent) reason = 'consent-missing';
    else if (!request.proformaSubmitted && (request.proformaDeadlinePassed ?? true)) {
      if (policy.missingProforma === 'defer') reason = 'proforma-missing';
      else flags.push('proforma-missing');
    } else if (!request.proformaSubmitted) flags.push('proforma-pending');
    if (reason !== null) {
      deferred.push({ requestId: request.id, reason });
      gatedFamilies.add(request.familyId);
      continue;
    }
    if (priorities.get(request.id)!.overdueReview) flags.push('review-overdue');
    if (request.timesCarriedOver > 0) flags.push('carried-over');
    requestFlags.set(request.id, flags);
    heard.set(request.familyId, [...(heard.get(request.familyId) ?? []), request]);
  }

  // 2. One item per family.
  const families: FamilyItem[] = [...heard].map(([familyId, requests]) => {
    const children = requests.reduce((sum, r) => sum + r.children, 0);
    const complex = requests.some((r) => r.complex) || children >= policy.childrenForComplex;
    const flags = new Set<AgendaFlag>(requests.flatMap((r) => requestFlags.get(r.id)!));
    if (gatedFamilies.has(familyId)) flags.add('part-deferred');
    const windows = requests.flatMap((r) => (r.attendanceWindow ? [r.attendanceWindow] : []));
    let window: FamilyItem['window'] = 'none';
    if (windows.length > 0) {
      const from = Math.max(...windows.map((w) => wallClock(w.from)));
      const to = Math.min(...windows.map((w) => wallClock(w.to)));
      window = from < to ? { from, to } : 'empty';
    }
    const pins = requests.flatMap((r) => (r.pinnedSlot === null ? [] : [r.pinnedSlot]));
    return {
      familyId,
      requests,
      priority: familyPriority(requests.map((r) => priorities.get(r.id)!)),
      size: complex ? policy.complexSlots : 1,
      window,
      pin: pins.length > 0 ? Math.min(...pins) : null,
      flags,
      slot: null,
    };
  });
  families.sort((a, b) => compareAgendaPriority(a.priority, b.priority));

  // 3. Pins keep their slot; the more pressing pin wins a clash.
  const grid: SlotGrid = { slots: sitting.slots, breakAfterSlot: sitting.breakAfterSlot };
  const board = new Board(grid, policy.complexSlots);
  for (const family of families) {
    if (family.pin === null) continue;
    if (board.fits(family.pin, family.size)) board.occupy(family, family.pin);
    else family.flags.add('pin-conflict');
  }

  // 4. Admission in priority order: exact, because unpinned items come in only two sizes.
  const admitted: FamilyItem[] = [];
  for (const family of families) {
    if (family.slot !== null) continue;
    if (board.feasibleWith(admitted, family)) admitted.push(family);
    else for (const r of family.requests) deferred.push({ requestId: r.id, reason: 'no-slot' });
  }

  // 5. Placement: windows first, least contested inside position, then earliest free slots.
  const inside = (f: FamilyItem, slot: number) =>
    typeof f.window === 'object' &&
    startMs[slot]! >= f.window.from &&
    endMs[slot + f.size - 1]! <= f.window.to;
  const windowed = admitted.filter((f) => typeof f.window === 'object');
  const cover = new Map(
    windowed.map((f) => {
      const cells = new Set<number>();
      for (let s = 0; s + f.size <= grid.slots; s++) {
        if (slotRangeValid(grid, s, f.size) && inside(f, s))
          for (let c = s; c < s + f.size; c++) cells.add(c);
      }
      return [f, cells] as const;
    }),
  );
  let pending = [...admitted];
  for (const family of windowed) {
    const rest = pending.filter((f) => f !== family);
    const contested = (slot: number) =>
      windowed.filter((w) => w !== family && w.slot === null && rangeHits(cover.get(w)!, slot, family.size))
        .length;
    let best: { slot: number; contest: number } | null = null;
    for (let slot = 0; slot + family.size <= grid.slots; slot++) {
      if (!inside(family, slot) || !board.canPlace(family, slot, rest)) continue;
      const contest = contested(slot);
      if (best === null || contest < best.contest) best = { slot, contest };
    }
    if (best !== null) {
      board.occupy(family, best.slot);
      pending = rest;
    }
  }
  for (const family of pending) {
    const rest = pending.filter((f) => f !== family && f.slot === null);
    let slot = 0;
    while (!board.canPlace(family, slot, rest)) slot++; // admission guarantees a slot exists
    board.occupy(family, slot);
    if (family.window !== 'none') family.flags.add('outside-window');
  }

  const items = families
    .filter((f) => f.slot !== null)
    .sort((a, b) => a.slot! - b.slot!)
    .map<AgendaItem>((f) => ({
      slot: f.slot!,
      slotsUsed: f.size,
      startsAt: local(startMs[f.slot!]!),
      endsAt: local(endMs[f.slot! + f.size - 1]!),
      familyId: f.familyId,
      requestIds: f.requests.map((r) => r.id),
      flags: agendaFlags.filter((flag) => f.flags.has(flag)),
    }));
  const candidateById = new Map(input.requests.map((r) => [r.id, r]));
  deferred.sort((a, b) => byPriority(candidateById.get(a.requestId)!, candidateById.get(b.requestId)!));
  return { items, deferred };
}

function rangeHits(cells: Set<number>, slot: number, size: number): boolean {
  for (let c = slot; c < slot + size; c++) if (cells.has(c)) return true;
  return false;
}
