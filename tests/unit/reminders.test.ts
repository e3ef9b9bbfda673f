import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  type ChasePolicy,
  chaseDecision,
  defaultChasePolicy,
  proformaDeadline,
  reminderSchedule,
  workingDaysLeft,
} from '../../src/domain/reminders.ts';
import { isWithinWorkingHours, isWorkingDay } from '../../src/domain/working-days.ts';

const policy: ChasePolicy = { ...defaultChasePolicy, closures: [] };

describe('proforma deadline', () => {
  it('is two working days before the sitting at 17:00 local, skipping Easter', () => {
    // Wednesday 31 March 2027: Easter Monday 29th and Good Friday 26th are bank holidays.
    expect(proformaDeadline('2027-03-31', policy)).toBe('2027-03-25T17:00:00+00:00');
  });

  it('is 17:00 BST in summer', () => {
    expect(proformaDeadline('2027-07-07', policy)).toBe('2027-07-05T17:00:00+01:00');
  });

  it("skips the hub's closures too", () => {
    const closed = {
      ...policy,
      closures: [{ startsOn: '2027-07-05', endsOn: '2027-07-05', reason: 'Staff training' }],
    };
    expect(proformaDeadline('2027-07-07', closed)).toBe('2027-07-02T17:00:00+01:00');
  });
});

describe('reminder schedule', () => {
  it('reminds 5, 2 and 1 working days before the deadline at 09:00, in order', () => {
    expect(reminderSchedule('2027-03-25T17:00:00+00:00', policy)).toEqual([
      { number: 1, workingDaysBefore: 5, dueAt: '2027-03-18T09:00:00+00:00' },
      { number: 2, workingDaysBefore: 2, dueAt: '2027-03-23T09:00:00+00:00' },
      { number: 3, workingDaysBefore: 1, dueAt: '2027-03-24T09:00:00+00:00' },
    ]);
  });

  it('ignores repeated and non-positive cadence values', () => {
    const r = reminderSchedule('2027-03-25T17:00:00+00:00', { ...policy, cadence: [1, 1, 0, -2, 3] });
    expect(r.map((x) => x.workingDaysBefore)).toEqual([3, 1]);
  });

  it('counts working days left to the deadline', () => {
    expect(workingDaysLeft('2027-03-18T10:00:00Z', '2027-03-25T17:00:00+00:00', policy)).toBe(5);
    expect(workingDaysLeft('2027-03-25T10:00:00Z', '2027-03-25T17:00:00+00:00', policy)).toBe(0);
  });
});

describe('chase decision', () => {
  const base = {
    requestedAt: '2027-03-10T08:30:00Z',
    deadline: '2027-03-25T17:00:00+00:00',
    submitted: false,
    remindersSent: [],
    escalated: false,
  };

  it('waits for the first reminder, then sends it in working hours', () => {
    expect(chaseDecision(base, '2027-03-15T10:00:00Z', policy)).toEqual({
      kind: 'wait',
      until: '2027-03-18T09:00:00+00:00',
    });
    expect(chaseDecision(base, '2027-03-18T09:05:00Z', policy)).toMatchObject({
      kind: 'send-reminder',
      reminder: { number: 1 },
      sendAt: '2027-03-18T09:05:00+00:00',
      workingDaysLeft: 5,
    });
  });

  it('sends only the latest overdue reminder after days without chasing', () => {
    const d = chaseDecision(base, '2027-03-24T11:00:00Z', policy);
    expect(d).toMatchObject({ kind: 'send-reminder', reminder: { number: 3 } });
    expect(chaseDecision({ ...base, remindersSent: [3] }, '2027-03-24T12:00:00Z', policy)).toEqual({
      kind: 'wait',
      until: '2027-03-25T17:00:00+00:00',
    });
  });

  it('holds an email found due at night until 08:00 on the next working day', () => {
    // Found due on Friday 19 March at 20:00: sent Monday 22 March 08:00.
    const d = chaseDecision({ ...base, remindersSent: [] }, '2027-03-19T20:00:00Z', policy);
    expect(d).toMatchObject({
      kind: 'send-reminder',
      reminder: { number: 1 },
      sendAt: '2027-03-22T08:00:00+00:00',
    });
  });

  it('skips reminders that fell due before the proforma was even requested', () => {
    const late = { ...base, requestedAt: '2027-03-23T12:00:00Z' };
    expect(chaseDecision(late, '2027-03-23T13:00:00Z', policy)).toEqual({
      kind: 'wait',
      until: '2027-03-24T09:00:00+00:00',
    });
  });

  it('stops at once when the proforma is submitted, and escalates once after the deadline', () => {
    expect(chaseDecision({ ...base, submitted: true }, '2027-03-24T11:00:00Z', policy)).toEqual({
      kind: 'submitted',
    });
    expect(chaseDecision(base, '2027-03-25T17:00:00Z', policy)).toMatchObject({
      kind: 'escalate',
      sendAt: '2027-03-25T17:00:00+00:00',
    });
    expect(chaseDecision({ ...base, escalated: true }, '2027-03-26T10:00:00Z', policy)).toEqual({
      kind: 'done',
    });
  });
});

describe('chasing properties', () => {
  const sittingDate = fc
    .date({
      min: new Date('2024-01-01T00:00:00Z'),
      max: new Date('2035-12-31T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().slice(0, 10))
    .filter((d) => isWorkingDay(d));
  const cadence = fc.uniqueArray(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 4 });

  it('reminders fall on working days, before the deadline, in strictly increasing order', () => {
    fc.assert(
      fc.property(sittingDate, cadence, fc.integer({ min: 0, max: 5 }), (date, c, deadlineDays) => {
        const p = { ...policy, cadence: c, deadlineWorkingDays: deadlineDays };
        const deadline = proformaDeadline(date, p);
        expect(DateTime.fromISO(deadline, { setZone: true }).toISODate()! <= date).toBe(true);
        expect(isWorkingDay(DateTime.fromISO(deadline, { setZone: true }).toISODate()!)).toBe(true);
        const schedule = reminderSchedule(deadline, p);
        expect(schedule).toHaveLength(c.length);
        for (let i = 0; i < schedule.length; i++) {
          const r = schedule[i]!;
          expect(isWithinWorkingHours(r.dueAt, p.zone)).toBe(true);
          expect(Date.parse(r.dueAt)).toBeLessThan(Date.parse(deadline));
          if (i > 0) expect(Date.parse(r.dueAt)).toBeGreaterThan(Date.parse(schedule[i - 1]!.dueAt));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a simulated fortnight sends each reminder at most once, only in working hours, none after submission, one escalation', () => {
    fc.assert(
      fc.property(
        sittingDate,
        cadence,
        fc.integer({ min: 1, max: 12 }),
        fc.option(fc.integer({ min: 1, max: 200 })),
        (date, c, stepHours, submitAfterSteps) => {
          const p = { ...policy, cadence: c };
          const deadline = proformaDeadline(date, p);
          const requestedAt = DateTime.fromISO(deadline).minus({ days: 12 }).toUTC().toISO()!;
          const state = {
            requestedAt,
            deadline,
            submitted: false,
            remindersSent: [] as number[],
            escalated: false,
          };
          let escalations = 0;
          let now = DateTime.fromISO(requestedAt);
          const end = DateTime.fromISO(deadline).plus({ days: 4 });
          for (let step = 0; now < end; step++, now = now.plus({ hours: stepHours })) {
            if (submitAfterSteps !== null && step === submitAfterSteps) state.submitted = true;
            const d = chaseDecision(state, now.toISO()!, p);
            if (d.kind === 'send-reminder') {
              expect(state.submitted).toBe(false);
              expect(isWithinWorkingHours(d.sendAt, p.zone)).toBe(true);
              expect(Date.parse(d.reminder.dueAt)).toBeLessThan(Date.parse(deadline));
              state.remindersSent.push(d.reminder.number);
            } else if (d.kind === 'escalate') {
              expect(isWithinWorkingHours(d.sendAt, p.zone)).toBe(true);
              escalations++;
              state.escalated = true;
            }
          }
          expect(new Set(state.remindersSent).size).toBe(state.remindersSent.length);
          expect(state.remindersSent.length).toBeLessThanOrEqual(c.length);
          expect(escalations).toBe(state.submitted ? (escalations > 0 ? 1 : 0) : 1);
        },
      ),
      { numRuns: 150 },
    );
  }, 30_000);
});
