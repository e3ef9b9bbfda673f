import { DateTime } from 'luxon';
import { addWorkingDays, type Closure, isWorkingDay } from './working-days.ts';

/*
 * When the hub's background work falls due. Pure: every due instant is computed as local wall time
 * in the hub's zone with luxon and returned as a UTC Date for storage. Daily work is keyed by the
 * local date, so a clock change can neither skip a day nor run one twice (the DST trap of
 * cron-with-timezone repeats).
 */

export interface ScheduledTask {
  kind: 'plan-sittings' | 'chase-proformas';
  key: string;
  hubId: number | null;
  dueAt: Date;
}

const localAt = (date: string, time: string, zone: string): Date => {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  return DateTime.fromISO(date, { zone }).set({ hour, minute }).toJSDate();
};

/**
 * Today's daily tasks for each hub: plan sittings at 02:00 local every day; chase proformas at
 * 08:00 local on working days (the chaser itself respects each hub's closures). "Today" is the
 * local date in each zone at `now`.
 */
export function dailyTasks(
  now: Date,
  hubs: ReadonlyArray<{ id: number; timezone: string }>,
): ScheduledTask[] {
  const tasks: ScheduledTask[] = [];
  const chaseDays = new Map<string, Date>();
  for (const hub of hubs) {
    const today = DateTime.fromJSDate(now, { zone: hub.timezone }).toISODate() as string;
    tasks.push({
      kind: 'plan-sittings',
      key: `${hub.id}:${today}`,
      hubId: hub.id,
      dueAt: localAt(today, '02:00', hub.timezone),
    });
    if (isWorkingDay(today) && !chaseDays.has(today))
      chaseDays.set(today, localAt(today, '08:00', hub.timezone));
  }
  for (const [day, dueAt] of chaseDays) tasks.push({ kind: 'chase-proformas', key: day, hubId: null, dueAt });
  return tasks;
}

/**
 * When a sitting's agenda is built: 07:00 local, `leadWorkingDays` working days before the sitting
 * (so schools get their proforma request a week and a half ahead by default).
 */
export function agendaBuildDueAt(
  sittingDate: string,
  leadWorkingDays: number,
  zone: string,
  closures: readonly Closure[] = [],
): Date {
  return localAt(addWorkingDays(sittingDate, -leadWorkingDays, closures), '07:00', zone);
}
