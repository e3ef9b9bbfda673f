import { IANAZone } from 'luxon';
import { z } from 'zod';
import { parseOrThrow } from '../validation.ts';
import { checkRecurrence, expandRecurrence, firstRuleDate } from './recurrence.ts';
import {
  type Closure,
  type DayStatus,
  dayStatus,
  fromEpochDay,
  isIsoDate,
  localInstant,
  nextWorkingDay,
  parseTime,
  weekdayOf,
  zoneOffsetAt,
} from './working-days.ts';

/*
 * Sitting planner: which dates a hub sits on, and at what instants. Pure (no clock, no IO).
 * The rule gives calendar dates (recurrence.ts); every instant is built here in the hub's zone:
 * a 09:30 sitting is 09:30 local in GMT and in BST.
 */

// ---------------------------------------------------------------------------------------------
// hub.json schema

const isoDate = z.string().refine(isIsoDate, { error: 'must be a date YYYY-MM-DD' });

const closureRange = (c: { from: string; to?: string | undefined; reason: string }): Closure => ({
  startsOn: c.from,
  endsOn: c.to ?? c.from,
  reason: c.reason,
});

const closureInput = z.union(
  [
    isoDate.transform((date) => closureRange({ from: date, reason: 'Hub closure' })),
    z
      .object({
        from: isoDate,
        to: isoDate.optional(),
        reason: z.string().trim().min(1).default('Hub closure'),
      })
      .transform(closureRange),
    // The normalised form itself, so a parsed schedule parses again unchanged.
    z
      .object({ startsOn: isoDate, endsOn: isoDate, reason: z.string().trim().min(1) })
      .transform((c) => closureRange({ from: c.startsOn, to: c.endsOn, reason: c.reason })),
  ],
  { error: 'must be a date YYYY-MM-DD or {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD", "reason": "..."}' },
);

/**
 * A hub's sitting schedule as typed in hub.json (or mapped from the hubs row). Every error names
 * its field. Counts a person types start at 1: `breakAfterSlot: 4` puts the break after the fourth
 * slot. `closures` are dates or `{from, to?, reason?}` ranges (inclusive).
 */
export const hubScheduleSchema = z
  .object({
    name: z.string().trim().min(1, 'must not be empty'),
    timezone: z
      .string()
      .default('Europe/London')
      .refine((zone) => IANAZone.isValidZone(zone), {
        error: 'must be an IANA time zone such as Europe/London',
      }),
    rrule: z.string().transform((text, ctx) => {
      const checked = checkRecurrence(text);
      if (checked.kind === 'ok') return checked.rule;
      ctx.addIssue({ code: 'custom', message: `not a valid RRULE: ${checked.message}` });
      return z.NEVER;
    }),
    firstSitting: isoDate,
    startTime: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day HH:MM from 00:00 to 23:59, e.g. 09:30'),
    slotMinutes: z
      .int()
      .min(5, 'must be at least 5 minutes')
      .max(240, 'must be at most 240 minutes')
      .default(30),
    slotsPerSitting: z.int().min(1, 'must be at least 1').max(48, 'must be at most 48'),
    breakAfterSlot: z.int().min(1, 'counts slots from 1: must be at least 1').nullable().default(null),
    breakMinutes: z.int().min(0, 'must not be negative').max(240, 'must be at most 240 minutes').default(0),
    holidayPolicy: z.enum(['skip', 'next-working-day']).default('skip'),
    closures: z.array(closureInput).default([]),
  })
  .superRefine((hub, ctx) => {
    hub.closures.forEach((closure, index) => {
      if (closure.endsOn < closure.startsOn) {
        ctx.addIssue({ code: 'custom', path: ['closures', index], message: 'must not end before it starts' });
      }
    });
    if (hub.breakAfterSlot !== null && hub.breakAfterSlot >= hub.slotsPerSitting) {
      ctx.addIssue({
        code: 'custom',
        path: ['breakAfterSlot'],
        message: `must be from 1 to ${hub.slotsPerSitting - 1} (a break after the last slot is not a break)`,
      });
    }
    if (typeof hub.rrule !== 'string' || !isIsoDate(hub.firstSitting)) return;
    const firstDate = firstRuleDate(hub.rrule, hub.firstSitting);
    if (firstDate !== hub.firstSitting) {
      ctx.addIssue({
        code: 'custom',
        path: ['firstSitting'],
        message:
          firstDate === null
            ? 'the rule gives no date on or after firstSitting'
            : `${hub.firstSitting} is not a date of the rule (its first date from then is ${firstDate})`,
      });
    }
  });

/** A validated hub schedule. */
export type HubSchedule = z.output<typeof hubScheduleSchema>;

/** Inclusive range of raw rule dates to plan; `to` must not be before `from`. */
export const planRangeSchema = z
  .object({ from: isoDate, to: isoDate })
  // Compared only when both are dates, so a bad `from` is not also reported as a bad `to`.
  .refine((r) => !isIsoDate(r.from) || !isIsoDate(r.to) || r.from <= r.to, {
    error: 'must be on or after from',
    path: ['to'],
  });

// ---------------------------------------------------------------------------------------------
// planning

/** One slot; `index` counts from 0. Instants are ISO 8601 with the hub zone's offset. */
export interface PlannedSlot {
  index: number;
  startsAt: string;
  endsAt: string;
}

/** One sitting at its (possibly moved) date. `movedFrom` is the rule's date when it was moved. */
export interface PlannedSitting {
  date: string;
  startsAt: string;
  endsAt: string;
  slots: PlannedSlot[];
  movedFrom: string | null;
}

/** Why a rule date is not a sitting day as it stands. */
export type SkipCause = 'bank-holiday' | 'closure' | 'weekend' | 'date-taken' | 'no-working-day';

/** A rule date that is not sat on: dropped (`movedTo` null) or moved to `movedTo`. */
export interface SkippedDate {
  date: string;
  reason: string;
  cause: SkipCause;
  movedTo: string | null;
}

export interface SittingPlan {
  /** Chronological by (moved) date. */
  sittings: PlannedSitting[];
  /** Chronological by rule date. */
  skipped: SkippedDate[];
}

function describeStatus(status: Exclude<DayStatus, { kind: 'working' }>): {
  reason: string;
  cause: SkipCause;
} {
  switch (status.kind) {
    case 'bank-holiday':
      return { reason: status.name, cause: 'bank-holiday' };
    case 'closure':
      return { reason: status.reason, cause: 'closure' };
    case 'weekend':
      return { reason: `Weekend (${status.name})`, cause: 'weekend' };
  }
}

/**
 * Slots of a sitting on `date`: consecutive, `slotMinutes` long, starting at `startTime` local in
 * `timezone`, with `breakMinutes` after slot number `breakAfterSlot` (counted from 1).
 */
export function buildSitting(
  hub: Pick<
    HubSchedule,
    'timezone' | 'startTime' | 'slotMinutes' | 'slotsPerSitting' | 'breakAfterSlot' | 'breakMinutes'
  >,
  date: string,
  movedFrom: string | null = null,
): PlannedSitting {
  const startMs = localInstant(hub.timezone, date, parseTime(hub.startTime));
  // Slot instants are epoch arithmetic (real minutes, so right even across a clock change) and
  // formatted by hand: luxon's fromObject/plus/toISO per slot made planning ~20x slower.
  const boundaries: number[] = [];
  let elapsed = 0;
  for (let index = 0; index < hub.slotsPerSitting; index += 1) {
    if (hub.breakAfterSlot !== null && index === hub.breakAfterSlot) elapsed += hub.breakMinutes;
    boundaries.push(startMs + elapsed * 60_000, startMs + (elapsed + hub.slotMinutes) * 60_000);
    elapsed += hub.slotMinutes;
  }
  const startOffset = zoneOffsetAt(hub.timezone, startMs);
  // One offset for the whole sitting unless a clock change falls inside it.
  const steady = zoneOffsetAt(hub.timezone, boundaries.at(-1)!) === startOffset;
  const iso = (ms: number) => formatInstant(ms, steady ? startOffset : zoneOffsetAt(hub.timezone, ms));
  const slots: PlannedSlot[] = [];
  for (let index = 0; index < hub.slotsPerSitting; index += 1) {
    slots.push({ index, startsAt: iso(boundaries[2 * index]!), endsAt: iso(boundaries[2 * index + 1]!) });
  }
  return { date, startsAt: slots[0]!.startsAt, endsAt: slots.at(-1)!.endsAt, slots, movedFrom };
}

const MS_PER_DAY = 86_400_000;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
let lastDay = Number.NaN;
let lastDayText = '';

/** ISO 8601 like luxon's toISO({suppressMilliseconds: true}): `2027-07-07T09:30:00+01:00`. */
function formatInstant(ms: number, offsetMinutes: number): string {
  const local = ms + offsetMinutes * 60_000;
  const day = Math.floor(local / MS_PER_DAY);
  if (day !== lastDay) {
    lastDay = day;
    lastDayText = fromEpochDay(day);
  }
  const rest = local - day * MS_PER_DAY;
  const millis = rest % 1000;
  const hh = TWO_DIGITS[Math.floor(rest / 3_600_000)];
  const mm = TWO_DIGITS[Math.floor(rest / 60_000) % 60];
  const ss = TWO_DIGITS[Math.floor(rest / 1000) % 60];
  const abs = Math.abs(offsetMinutes);
  const offset = `${offsetMinutes < 0 ? '-' : '+'}${TWO_DIGITS[Math.floor(abs / 60)] ?? Math.floor(abs / 60)}:${TWO_DIGITS[abs % 60]}`;
  const fraction = millis === 0 ? '' : `.${String(millis).padStart(3, '0')}`;
  return `${lastDayText}T${hh}:${mm}:${ss}${fraction}${offset}`;
}

/**
 * Plans a hub's sittings for the rule dates from `range.from` to `range.to` inclusive. A rule date
 * that is a weekend, an England & Wales bank holiday or one of the hub's closures is dropped
 * (`skip`) or moved to the next working day (`next-working-day`); either way it is listed in
 * `skipped` with its reason. A move onto a day that already has a sitting is dropped instead
 * (cause `date-taken`), so no date ever holds two sittings. A moved sitting may fall after `to`.
 * Throws AppError('invalid-input') naming `from`/`to` for a bad range.
 */
export function planSittings(hub: HubSchedule, range: { from: string; to: string }): SittingPlan {
  const { from, to } = parseOrThrow(planRangeSchema, range, 'planning range');
  const raw = expandRecurrence(hub.rrule, hub.firstSitting, from, to);
  const taken = new Set<string>();
  const sittingDates: Array<{ date: string; movedFrom: string | null }> = [];
  const skipped: SkippedDate[] = [];
  const pendingMoves: Array<{ rawDate: string; reason: string; cause: SkipCause }> = [];

  for (const date of raw) {
    const status = dayStatus(date, hub.closures);
    if (status.kind === 'working') {
      taken.add(date);
      sittingDates.push({ date, movedFrom: null });
    } else if (hub.holidayPolicy === 'skip') {
      skipped.push({ date, ...describeStatus(status), movedTo: null });
    } else {
      pendingMoves.push({ rawDate: date, ...describeStatus(status) });
    }
  }
  // Moves are resolved after every working rule date in range has claimed its day; a target past
  // `to` is checked against the rule itself.
  for (const move of pendingMoves) {
    const target = nextWorkingDay(move.rawDate, hub.closures);
    if (target === null) {
      skipped.push({
        date: move.rawDate,
        reason: `${move.reason}; no working day within a year`,
        cause: 'no-working-day',
        movedTo: null,
      });
    } else if (
      taken.has(target) ||
      (target > to && expandRecurrence(hub.rrule, hub.firstSitting, target, target).length > 0)
    ) {
      skipped.push({
        date: move.rawDate,
        reason: `${move.reason}; the next working day ${target} already has a sitting`,
        cause: 'date-taken',
        movedTo: null,
      });
    } else {
      taken.add(target);
      sittingDates.push({ date: target, movedFrom: move.rawDate });
      skipped.push({ date: move.rawDate, reason: move.reason, cause: move.cause, movedTo: target });
    }
  }
  sittingDates.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  skipped.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return { sittings: sittingDates.map((s) => buildSitting(hub, s.date, s.movedFrom)), skipped };
}

/** Three-letter English weekday of a date ('Mon' ... 'Sun'), for tables. */
export function weekdayShort(date: string): string {
  return ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][weekdayOf(date) - 1]!;
}
