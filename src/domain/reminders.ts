import { DateTime } from 'luxon';
import { addWorkingDays, type Closure, isWorkingDay, nextWorkingInstant } from './working-days.ts';

/*
 * When a school is chased for its proforma. Pure: instants are ISO strings with an offset (or
 * Dates), read in the hub's zone; `now` always comes in. Working days are England and Wales working
 * days less the hub's closures.
 */

export interface ChasePolicy {
  /** IANA zone of the hub; every local time below is wall time there. */
  zone: string;
  /** The deadline is this many working days before the sitting's date (default 2). */
  deadlineWorkingDays: number;
  /** Local time of day the deadline falls, 'HH:MM' (default 17:00, close of business). */
  deadlineTime: string;
  /** Reminders this many working days before the deadline's date (default 5, 2, 1). */
  cadence: readonly number[];
  /** Local time of day a reminder becomes due, 'HH:MM' (default 09:00). */
  reminderTime: string;
  /** Emails go out only inside these local hours on working days. */
  workingHours: { from: string; to: string };
  closures: readonly Closure[];
}

export const defaultChasePolicy: Omit<ChasePolicy, 'closures'> = {
  zone: 'Europe/London',
  deadlineWorkingDays: 2,
  deadlineTime: '17:00',
  cadence: [5, 2, 1],
  reminderTime: '09:00',
  workingHours: { from: '08:00', to: '18:00' },
};

export interface ScheduledReminder {
  /** 1 for the first reminder, in chronological order. */
  number: number;
  /** Working days between the reminder's day and the deadline's day. */
  workingDaysBefore: number;
  /** When it becomes due (ISO, hub zone offset). */
  dueAt: string;
}

const at = (date: string, time: string, zone: string): DateTime => {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  return DateTime.fromISO(date, { zone }).set({ hour, minute, second: 0, millisecond: 0 });
};

const iso = (dt: DateTime): string => dt.toISO({ suppressMilliseconds: true }) as string;

/**
 * The proforma deadline for a sitting on `sittingDate` (local date): `deadlineTime` on the day
 * `deadlineWorkingDays` working days before it. With 0 it is the sitting's own day.
 */
export function proformaDeadline(sittingDate: string, policy: ChasePolicy): string {
  const day = addWorkingDays(sittingDate, -policy.deadlineWorkingDays, policy.closures);
  return iso(at(day, policy.deadlineTime, policy.zone));
}

/**
 * Every reminder for a deadline, chronological, one per distinct cadence value, on working days
 * at `reminderTime`. Values of 0 or less are ignored (the escalation covers the deadline itself).
 */
export function reminderSchedule(deadline: string, policy: ChasePolicy): ScheduledReminder[] {
  const deadlineDay = DateTime.fromISO(deadline, { setZone: true })
    .setZone(policy.zone)
    .toISODate() as string;
  const offsets = [...new Set(policy.cadence.filter((c) => Number.isInteger(c) && c > 0))].sort(
    (a, b) => b - a,
  );
  return offsets.map((workingDaysBefore, i) => ({
    number: i + 1,
    workingDaysBefore,
    dueAt: iso(
      at(addWorkingDays(deadlineDay, -workingDaysBefore, policy.closures), policy.reminderTime, policy.zone),
    ),
  }));
}

/** Working days from `now`'s local date (exclusive) up to and including the deadline's date; 0 on the day. */
export function workingDaysLeft(now: string | Date, deadline: string, policy: ChasePolicy): number {
  const today = toLocal(now, policy.zone).toISODate() as string;
  const last = DateTime.fromISO(deadline, { setZone: true }).setZone(policy.zone).toISODate() as string;
  let count = 0;
  let day = DateTime.fromISO(today, { zone: 'UTC' });
  const end = DateTime.fromISO(last, { zone: 'UTC' });
  while (day < end) {
    day = day.plus({ days: 1 });
    if (isWorkingDay(day.toISODate() as string, policy.closures)) count++;
  }
  return count;
}

function toLocal(value: string | Date, zone: string): DateTime {
  return (
    typeof value === 'string' ? DateTime.fromISO(value, { setZone: true }) : DateTime.fromJSDate(value)
  ).setZone(zone);
}

export interface ChaseState {
  /** When the proforma request email was queued (reminders due before it are not sent). */
  requestedAt: string | Date;
  deadline: string;
  submitted: boolean;
  /** Numbers of reminders already queued for this proforma. */
  remindersSent: readonly number[];
  escalated: boolean;
}

export type ChaseDecision =
  | { kind: 'submitted' }
  | { kind: 'send-reminder'; reminder: ScheduledReminder; sendAt: string; workingDaysLeft: number }
  | { kind: 'escalate'; sendAt: string }
  | { kind: 'wait'; until: string }
  | { kind: 'done' };

/**
 * What to do about one proforma now. At most one reminder is sent at a time: when several are
 * overdue (the chaser did not run for days), only the latest is sent, so a school is never sent a
 * burst. After the deadline there are no reminders, only one escalation. `sendAt` is `now` when
 * that is within working hours, else the start of the next working window.
 */
export function chaseDecision(state: ChaseState, now: string | Date, policy: ChasePolicy): ChaseDecision {
  if (state.submitted) return { kind: 'submitted' };
  const nowMs = toLocal(now, policy.zone).toMillis();
  const sendAt = () =>
    nextWorkingInstant(
      toLocal(now, policy.zone).toISO() as string,
      policy.zone,
      policy.workingHours.from,
      policy.workingHours.to,
      policy.closures,
    );
  if (nowMs >= Date.parse(state.deadline))
    return state.escalated ? { kind: 'done' } : { kind: 'escalate', sendAt: sendAt() };
  const requestedMs = toLocal(state.requestedAt, policy.zone).toMillis();
  const schedule = reminderSchedule(state.deadline, policy).filter((r) => Date.parse(r.dueAt) > requestedMs);
  const due = schedule.filter((r) => Date.parse(r.dueAt) <= nowMs);
  const latest = due.at(-1);
  if (
    latest &&
    !state.remindersSent.includes(latest.number) &&
    !state.remindersSent.some((n) => n > latest.number)
  ) {
    return {
      kind: 'send-reminder',
      reminder: latest,
      sendAt: sendAt(),
      workingDaysLeft: workingDaysLeft(now, state.deadline, policy),
    };
  }
  const next = schedule.find((r) => Date.parse(r.dueAt) > nowMs);
  return { kind: 'wait', until: next?.dueAt ?? state.deadline };
}
