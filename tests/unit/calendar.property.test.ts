import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { type HubSchedule, hubScheduleSchema, planSittings } from '../../src/domain/calendar.ts';
import { expandRecurrence, firstRuleDate } from '../../src/domain/recurrence.ts';
import { dayStatus, fromEpochDay, toEpochDay } from '../../src/domain/working-days.ts';

// Properties over random hubs, rules, closures and ranges in 2024-2035. Run under TZ=UTC and
// TZ=Europe/London: nothing may depend on the server's zone.

const day = (min: string, max: string) =>
  fc.integer({ min: toEpochDay(min), max: toEpochDay(max) }).map(fromEpochDay);

const weekday = fc.constantFrom('MO', 'TU', 'WE', 'TH', 'FR');
const rule = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.uniqueArray(weekday, { minLength: 1, maxLength: 3 }))
    .map(([interval, days]) => `FREQ=WEEKLY;INTERVAL=${interval};BYDAY=${days.join(',')}`),
  fc.tuple(fc.integer({ min: 1, max: 4 }), weekday).map(([n, d]) => `FREQ=MONTHLY;BYDAY=${n}${d}`),
  fc.constant('FREQ=MONTHLY;BYDAY=-1FR'),
  fc.integer({ min: 1, max: 28 }).map((d) => `FREQ=MONTHLY;BYMONTHDAY=${d}`), // lands on weekends too
  fc.constant('FREQ=DAILY'), // every day, weekends and holidays included
);

const closure = fc
  .tuple(
    day('2024-01-01', '2035-12-31'),
    fc.integer({ min: 0, max: 20 }),
    fc.string({ minLength: 1, maxLength: 12 }),
  )
  .map(([from, length, reason]) => ({
    from,
    to: fromEpochDay(toEpochDay(from) + length),
    reason: `Closed ${reason}`,
  }));

const hubArbitrary = fc
  .record({
    rrule: rule,
    anchor: day('2024-01-01', '2034-12-31'),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    slotMinutes: fc.integer({ min: 5, max: 240 }),
    slotsPerSitting: fc.integer({ min: 1, max: 48 }),
    breakAfter: fc.option(fc.integer({ min: 1, max: 47 }), { nil: null }),
    breakMinutes: fc.integer({ min: 0, max: 240 }),
    holidayPolicy: fc.constantFrom('skip', 'next-working-day'),
    closures: fc.array(closure, { maxLength: 6 }),
  })
  .map((h): HubSchedule => {
    // firstSitting must be a date of the rule: take the rule's first date from the anchor.
    const first = firstRuleDate(h.rrule, h.anchor) ?? h.anchor;
    return hubScheduleSchema.parse({
      name: 'Property Hub',
      rrule: h.rrule,
      firstSitting: first,
      startTime: `${String(h.hour).padStart(2, '0')}:${String(h.minute).padStart(2, '0')}`,
      slotMinutes: h.slotMinutes,
      slotsPerSitting: h.slotsPerSitting,
      breakAfterSlot: h.breakAfter !== null && h.breakAfter < h.slotsPerSitting ? h.breakAfter : null,
      breakMinutes: h.breakMinutes,
      holidayPolicy: h.holidayPolicy,
      closures: h.closures,
    });
  });

const rangeArbitrary = fc
  .tuple(day('2024-01-01', '2035-06-30'), fc.integer({ min: 0, max: 400 }))
  .map(([from, length]) => ({
    from,
    to: fromEpochDay(Math.min(toEpochDay(from) + length, toEpochDay('2035-12-31'))),
  }));

const runs = { numRuns: 150 };

describe('planSittings properties', { timeout: 30_000 }, () => {
  it('every sitting starts at the hub start time, local, on its own date', () => {
    fc.assert(
      fc.property(hubArbitrary, rangeArbitrary, (hub, range) => {
        const wrong = planSittings(hub, range)
          .sittings.map(
            (s) => [s, DateTime.fromISO(s.startsAt, { setZone: true }).setZone(hub.timezone)] as const,
          )
          .filter(([s, local]) => local.toFormat('yyyy-MM-dd HH:mm') !== `${s.date} ${hub.startTime}`)
          .map(([s]) => s.startsAt);
        expect(wrong).toEqual([]);
      }),
      runs,
    );
  });

  it('no sitting is on a weekend, a bank holiday or a closure day, and no date holds two', () => {
    fc.assert(
      fc.property(hubArbitrary, rangeArbitrary, (hub, range) => {
        const { sittings } = planSittings(hub, range);
        for (const sitting of sittings)
          expect(dayStatus(sitting.date, hub.closures)).toEqual({ kind: 'working' });
        expect(new Set(sittings.map((s) => s.date)).size).toBe(sittings.length);
      }),
      runs,
    );
  });

  it('slots never overlap: each is slotMinutes long and starts at or after the previous one ends', () => {
    fc.assert(
      fc.property(hubArbitrary, rangeArbitrary, (hub, range) => {
        // Plain checks collected per case (an expect() per slot made this test take minutes).
        const problems: string[] = [];
        for (const sitting of planSittings(hub, range).sittings) {
          if (sitting.slots.length !== hub.slotsPerSitting) problems.push(`${sitting.date}: slot count`);
          sitting.slots.forEach((slot, i) => {
            const start = Date.parse(slot.startsAt);
            if (slot.index !== i) problems.push(`${sitting.date}: slot ${i} has index ${slot.index}`);
            if (Date.parse(slot.endsAt) - start !== hub.slotMinutes * 60_000) {
              problems.push(`${sitting.date}: slot ${i} is not ${hub.slotMinutes} minutes`);
            }
            if (i > 0) {
              const gap = start - Date.parse(sitting.slots[i - 1]!.endsAt);
              const expected = i === hub.breakAfterSlot ? hub.breakMinutes * 60_000 : 0;
              if (gap !== expected)
                problems.push(`${sitting.date}: gap before slot ${i} is ${gap / 60_000} min`);
            }
          });
          if (sitting.startsAt !== sitting.slots[0]!.startsAt) problems.push(`${sitting.date}: startsAt`);
          if (sitting.endsAt !== sitting.slots.at(-1)!.endsAt) problems.push(`${sitting.date}: endsAt`);
        }
        expect(problems).toEqual([]);
      }),
      runs,
    );
  });

  it('skip policy: sitting dates are a subset of the raw rule dates, and with the skipped ones make all of them', () => {
    fc.assert(
      fc.property(hubArbitrary, rangeArbitrary, (hub, range) => {
        const skipHub = { ...hub, holidayPolicy: 'skip' as const };
        const raw = expandRecurrence(hub.rrule, hub.firstSitting, range.from, range.to);
        const plan = planSittings(skipHub, range);
        const rawSet = new Set(raw);
        expect(plan.sittings.filter((s) => !rawSet.has(s.date))).toEqual([]);
        expect([...plan.sittings.map((s) => s.date), ...plan.skipped.map((s) => s.date)].sort()).toEqual(raw);
        for (const skipped of plan.skipped) expect(skipped.movedTo).toBeNull();
      }),
      runs,
    );
  });

  it('next-working-day: every moved date has its sitting at the target; lists are chronological', () => {
    fc.assert(
      fc.property(hubArbitrary, rangeArbitrary, (hub, range) => {
        const plan = planSittings({ ...hub, holidayPolicy: 'next-working-day' }, range);
        const byDate = new Map(plan.sittings.map((s) => [s.date, s]));
        for (const skipped of plan.skipped) {
          if (skipped.movedTo === null) continue;
          expect(skipped.movedTo > skipped.date).toBe(true);
          expect(byDate.get(skipped.movedTo)?.movedFrom).toBe(skipped.date);
        }
        const dates = plan.sittings.map((s) => s.date);
        expect(dates).toEqual([...dates].sort());
        const skippedDates = plan.skipped.map((s) => s.date);
        expect(skippedDates).toEqual([...skippedDates].sort());
      }),
      runs,
    );
  });
});
