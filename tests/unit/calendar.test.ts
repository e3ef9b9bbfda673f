import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  buildSitting,
  type HubSchedule,
  hubScheduleSchema,
  planSittings,
} from '../../src/domain/calendar.ts';
import { AppError } from '../../src/errors.ts';
import { parseOrThrow } from '../../src/validation.ts';

// Run under TZ=UTC and TZ=Europe/London: the plan must not depend on the server's zone.

const cityHub = {
  name: 'City Hub',
  timezone: 'Europe/London',
  rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=WE',
  firstSitting: '2027-01-06',
  startTime: '09:30',
  slotMinutes: 30,
  slotsPerSitting: 8,
  breakAfterSlot: null,
  breakMinutes: 0,
  holidayPolicy: 'skip',
  closures: ['2027-12-29'],
};

const hub = (overrides: Record<string, unknown> = {}): HubSchedule =>
  hubScheduleSchema.parse({ ...cityHub, ...overrides });

/** 'YYYY-MM-DD HH:mm' wall time in London of an ISO instant. */
const london = (iso: string) =>
  DateTime.fromISO(iso, { setZone: true }).setZone('Europe/London').toFormat('yyyy-MM-dd HH:mm');
const utc = (iso: string) => DateTime.fromISO(iso, { setZone: true }).toUTC().toFormat('HH:mm');

describe('planSittings: the issue example (City Hub 2027)', () => {
  const plan = planSittings(hub(), { from: '2027-01-01', to: '2027-12-31' });

  it('plans 26 fortnightly Wednesdays at 09:30 local, GMT in winter and BST in summer', () => {
    expect(plan.sittings).toHaveLength(26);
    expect(plan.sittings[0]).toMatchObject({
      date: '2027-01-06',
      startsAt: '2027-01-06T09:30:00+00:00',
      endsAt: '2027-01-06T13:30:00+00:00',
      movedFrom: null,
    });
    const july = plan.sittings.find((s) => s.date === '2027-07-07')!;
    expect(july.startsAt).toBe('2027-07-07T09:30:00+01:00');
    expect(utc(july.startsAt)).toBe('08:30');
    expect(plan.sittings.at(-1)!.date).toBe('2027-12-22');
  });

  it('numbers 8 consecutive 30-minute slots from 0', () => {
    const slots = plan.sittings[0]!.slots;
    expect(slots.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(slots[1]).toEqual({
      index: 1,
      startsAt: '2027-01-06T10:00:00+00:00',
      endsAt: '2027-01-06T10:30:00+00:00',
    });
  });

  it('has the JSON shape of `hub plan --json`', () => {
    expect(Object.keys(plan).sort()).toEqual(['sittings', 'skipped']);
    expect(Object.keys(plan.sittings[0]!).sort()).toEqual([
      'date',
      'endsAt',
      'movedFrom',
      'slots',
      'startsAt',
    ]);
  });
});

describe('clock changes (last Sunday of March and of October)', () => {
  const weekdays = 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR';

  // 2026: clocks go forward on 29 March and back on 25 October; no bank holiday in those weeks.
  it.each([
    ['09:30', '2026-03-23', '2026-04-02', 'forward', '09:30', '08:30'],
    ['14:00', '2026-03-23', '2026-04-02', 'forward', '14:00', '13:00'],
    ['09:30', '2026-10-19', '2026-10-30', 'back', '08:30', '09:30'],
    ['14:00', '2026-10-19', '2026-10-30', 'back', '13:00', '14:00'],
  ])(
    'a %s sitting stays at %s local the week before and after the clocks go %s',
    (start, from, to, _dir, utcBefore, utcAfter) => {
      const plan = planSittings(hub({ rrule: weekdays, firstSitting: from, startTime: start }), { from, to });
      expect(plan.sittings.length).toBeGreaterThanOrEqual(9);
      for (const sitting of plan.sittings) expect(london(sitting.startsAt)).toBe(`${sitting.date} ${start}`);
      const before = plan.sittings.filter(
        (s) => s.date < (from.startsWith('2026-03') ? '2026-03-29' : '2026-10-25'),
      );
      const after = plan.sittings.filter(
        (s) => s.date > (from.startsWith('2026-03') ? '2026-03-29' : '2026-10-25'),
      );
      expect(before.map((s) => utc(s.startsAt))).toEqual(before.map(() => utcBefore));
      expect(after.map((s) => utc(s.startsAt))).toEqual(after.map(() => utcAfter));
    },
  );

  it('2027: the clocks go forward on Easter Sunday; Good Friday and Easter Monday are skipped around it', () => {
    const plan = planSittings(hub({ rrule: weekdays, firstSitting: '2027-03-22', startTime: '16:30' }), {
      from: '2027-03-22',
      to: '2027-04-02',
    });
    expect(plan.sittings.map((s) => s.startsAt)).toEqual([
      '2027-03-22T16:30:00+00:00',
      '2027-03-23T16:30:00+00:00',
      '2027-03-24T16:30:00+00:00',
      '2027-03-25T16:30:00+00:00',
      '2027-03-30T16:30:00+01:00',
      '2027-03-31T16:30:00+01:00',
      '2027-04-01T16:30:00+01:00',
      '2027-04-02T16:30:00+01:00',
    ]);
    expect(plan.skipped.map((s) => [s.date, s.reason])).toEqual([
      ['2027-03-26', 'Good Friday'],
      ['2027-03-29', 'Easter Monday'],
    ]);
  });

  it('slots are real 30-minute spans even across the spring-forward hour (00:30 start on 28 March 2027)', () => {
    const sitting = buildSitting({ ...hub(), startTime: '00:30', slotsPerSitting: 4 }, '2027-03-28');
    expect(sitting.slots.map((s) => london(s.startsAt).slice(11))).toEqual([
      '00:30',
      '02:00',
      '02:30',
      '03:00',
    ]);
    expect(sitting.slots.map((s) => utc(s.startsAt))).toEqual(['00:30', '01:00', '01:30', '02:00']);
  });

  it('and across the fall-back hour (00:30 start on 31 October 2027: 01:00-02:00 happens twice)', () => {
    const sitting = buildSitting({ ...hub(), startTime: '00:30', slotsPerSitting: 4 }, '2027-10-31');
    expect(sitting.slots.map((s) => s.startsAt)).toEqual([
      '2027-10-31T00:30:00+01:00',
      '2027-10-31T01:00:00+01:00',
      '2027-10-31T01:30:00+01:00',
      '2027-10-31T01:00:00+00:00',
    ]);
  });
});

describe('bank holidays and the two holiday policies', () => {
  const mondays = { rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO', firstSitting: '2027-01-04', closures: [] };

  it('skip: Easter Monday and the Summer bank holiday are dropped, each with its name', () => {
    const plan = planSittings(hub(mondays), { from: '2027-01-01', to: '2027-12-31' });
    expect(plan.skipped).toEqual([
      { date: '2027-03-29', reason: 'Easter Monday', cause: 'bank-holiday', movedTo: null },
      { date: '2027-08-30', reason: 'Summer bank holiday', cause: 'bank-holiday', movedTo: null },
    ]);
    expect(plan.sittings.map((s) => s.date)).not.toContain('2027-03-29');
    expect(plan.sittings).toHaveLength(24);
  });

  it('next-working-day: they move to the Tuesday, in date order, at the same local time', () => {
    const plan = planSittings(hub({ ...mondays, holidayPolicy: 'next-working-day' }), {
      from: '2027-01-01',
      to: '2027-12-31',
    });
    expect(plan.sittings).toHaveLength(26);
    const moved = plan.sittings.filter((s) => s.movedFrom !== null);
    expect(moved.map((s) => [s.movedFrom, s.date, s.startsAt])).toEqual([
      ['2027-03-29', '2027-03-30', '2027-03-30T09:30:00+01:00'],
      ['2027-08-30', '2027-08-31', '2027-08-31T09:30:00+01:00'],
    ]);
    expect(plan.skipped.map((s) => s.movedTo)).toEqual(['2027-03-30', '2027-08-31']);
    const dates = plan.sittings.map((s) => s.date);
    expect(dates).toEqual([...dates].sort());
  });

  it('Good Friday moves past the Easter weekend and Easter Monday to the Tuesday', () => {
    const plan = planSittings(
      hub({ rrule: 'FREQ=WEEKLY;BYDAY=FR', firstSitting: '2027-03-19', holidayPolicy: 'next-working-day' }),
      { from: '2027-03-19', to: '2027-04-02' },
    );
    expect(plan.sittings.map((s) => [s.date, s.movedFrom])).toEqual([
      ['2027-03-19', null],
      ['2027-03-30', '2027-03-26'],
      ['2027-04-02', null],
    ]);
  });

  it('Christmas 2027 on a Saturday: Monday 27 and Tuesday 28 December are the substitute days', () => {
    const monTue = { rrule: 'FREQ=WEEKLY;BYDAY=MO,TU', firstSitting: '2027-12-20', closures: [] };
    const skip = planSittings(hub(monTue), { from: '2027-12-20', to: '2027-12-31' });
    expect(skip.sittings.map((s) => s.date)).toEqual(['2027-12-20', '2027-12-21']);
    expect(skip.skipped).toEqual([
      { date: '2027-12-27', reason: 'Christmas Day (substitute day)', cause: 'bank-holiday', movedTo: null },
      { date: '2027-12-28', reason: 'Boxing Day (substitute day)', cause: 'bank-holiday', movedTo: null },
    ]);
    // Both would move to Wednesday 29th: the first gets it, the second is dropped, never doubled up.
    const move = planSittings(hub({ ...monTue, holidayPolicy: 'next-working-day' }), {
      from: '2027-12-20',
      to: '2027-12-31',
    });
    expect(move.sittings.map((s) => [s.date, s.movedFrom])).toEqual([
      ['2027-12-20', null],
      ['2027-12-21', null],
      ['2027-12-29', '2027-12-27'],
    ]);
    expect(move.skipped[1]).toEqual({
      date: '2027-12-28',
      reason: 'Boxing Day (substitute day); the next working day 2027-12-29 already has a sitting',
      cause: 'date-taken',
      movedTo: null,
    });
  });

  it('a rule date at a weekend is not a sitting day', () => {
    const plan = planSittings(hub({ rrule: 'FREQ=MONTHLY;BYMONTHDAY=15', firstSitting: '2027-01-15' }), {
      from: '2027-01-01',
      to: '2027-06-30',
    });
    expect(plan.skipped).toEqual([
      { date: '2027-05-15', reason: 'Weekend (Saturday)', cause: 'weekend', movedTo: null },
    ]);
  });
});

describe('closures', () => {
  const mondays = { rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO', firstSitting: '2027-01-04' };
  const christmas = { from: '2027-12-20', to: '2027-12-31', reason: 'Christmas closure' };

  it('skip: a sitting in the closure is dropped with the closure reason; a bare date says "Hub closure"', () => {
    const plan = planSittings(hub({ ...mondays, closures: [christmas, '2027-06-21'] }), {
      from: '2027-06-01',
      to: '2027-12-31',
    });
    expect(plan.skipped.filter((s) => s.cause === 'closure')).toEqual([
      { date: '2027-06-21', reason: 'Hub closure', cause: 'closure', movedTo: null },
      { date: '2027-12-20', reason: 'Christmas closure', cause: 'closure', movedTo: null },
    ]);
  });

  it('next-working-day: the move jumps the whole closure, the weekend and the New Year substitute day', () => {
    const plan = planSittings(hub({ ...mondays, closures: [christmas], holidayPolicy: 'next-working-day' }), {
      from: '2027-12-01',
      to: '2028-01-31',
    });
    expect(plan.skipped.slice(0, 2)).toEqual([
      { date: '2027-12-20', reason: 'Christmas closure', cause: 'closure', movedTo: '2028-01-04' },
      {
        date: '2028-01-03',
        reason: "New Year's Day (substitute day); the next working day 2028-01-04 already has a sitting",
        cause: 'date-taken',
        movedTo: null,
      },
    ]);
    expect(plan.sittings.map((s) => s.date)).toEqual([
      '2027-12-06',
      '2028-01-04',
      '2028-01-17',
      '2028-01-31',
    ]);
  });
});

describe('breaks', () => {
  it('a 15-minute break after slot 4 (counted from 1) pushes slots 5-8 back', () => {
    const plan = planSittings(hub({ breakAfterSlot: 4, breakMinutes: 15 }), {
      from: '2027-07-01',
      to: '2027-07-10',
    });
    const sitting = plan.sittings[0]!;
    expect(sitting.slots.map((s) => london(s.startsAt).slice(11))).toEqual([
      '09:30',
      '10:00',
      '10:30',
      '11:00',
      '11:45',
      '12:15',
      '12:45',
      '13:15',
    ]);
    expect(london(sitting.slots[3]!.endsAt).slice(11)).toBe('11:30');
    expect(london(sitting.endsAt).slice(11)).toBe('13:45');
  });
});

describe('hub config validation names the field', () => {
  const fieldOf = (overrides: Record<string, unknown>) => {
    try {
      parseOrThrow(hubScheduleSchema, { ...cityHub, ...overrides }, 'hub config');
    } catch (error) {
      if (error instanceof AppError) return error.issues.map((i) => `${i.field}: ${i.message}`);
      throw error;
    }
    return [];
  };

  it.each([
    [{ rrule: 'FREQ=WEEKLY;BYDAY=XX' }, 'rrule', /BYDAY "XX"/],
    [{ rrule: 'every other wednesday' }, 'rrule', /KEY=VALUE/],
    [{ rrule: 'FREQ=HOURLY' }, 'rrule', /whole days/],
    [{ rrule: 'INTERVAL=2;BYDAY=WE' }, 'rrule', /needs FREQ/],
    [{ rrule: 'FREQ=WEEKLY;BYDAY=WE;TZID=Europe/Paris' }, 'rrule', /TZID is not supported/],
    [{ timezone: 'Europe/Londn' }, 'timezone', /IANA/],
    [{ startTime: '25:00' }, 'startTime', /HH:MM/],
    [{ startTime: '9:30' }, 'startTime', /HH:MM/],
    [{ slotsPerSitting: 0 }, 'slotsPerSitting', /at least 1/],
    [{ slotMinutes: 0 }, 'slotMinutes', /at least 5/],
    [{ breakAfterSlot: 8 }, 'breakAfterSlot', /from 1 to 7/],
    [{ breakAfterSlot: 0 }, 'breakAfterSlot', /at least 1/],
    [{ firstSitting: '2027-02-30' }, 'firstSitting', /date/],
    [{ firstSitting: '2027-01-07' }, 'firstSitting', /not a date of the rule/],
    [{ holidayPolicy: 'maybe' }, 'holidayPolicy', /skip|next-working-day/],
    [{ closures: [{ from: '2027-12-31', to: '2027-12-01' }] }, 'closures.0', /end before/],
    [{ closures: ['29/12/2027'] }, 'closures.0', /YYYY-MM-DD/],
  ])('%j -> %s', (overrides, field, message) => {
    const issues = fieldOf(overrides);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(new RegExp(`^${field.replace('.', '\\.')}: `));
    expect(issues[0]).toMatch(message);
  });

  it('accepts the RRULE: prefix and lower case, and fills defaults', () => {
    const parsed = hubScheduleSchema.parse({
      name: 'x',
      rrule: 'rrule:freq=weekly;interval=2;byday=we',
      firstSitting: '2027-01-06',
      startTime: '09:30',
      slotsPerSitting: 8,
    });
    expect(parsed).toMatchObject({
      rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=WE',
      timezone: 'Europe/London',
      slotMinutes: 30,
      breakAfterSlot: null,
      holidayPolicy: 'skip',
      closures: [],
    });
  });

  it('refuses a range that ends before it starts, naming `to`', () => {
    expect(() => planSittings(hub(), { from: '2027-12-31', to: '2027-01-01' })).toThrow(
      expect.objectContaining({
        code: 'invalid-input',
        issues: [{ field: 'to', message: 'must be on or after from' }],
      }),
    );
    expect(() => planSittings(hub(), { from: '2027-13-01', to: '2027-12-31' })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ field: 'from' })] }),
    );
  });

  it('plans nothing before firstSitting', () => {
    const plan = planSittings(hub(), { from: '2026-06-01', to: '2027-01-31' });
    expect(plan.sittings.map((s) => s.date)).toEqual(['2027-01-06', '2027-01-20']);
  });
});
