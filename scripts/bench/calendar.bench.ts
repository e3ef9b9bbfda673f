import { performance } from 'node:perf_hooks';
import rrulePackage from 'rrule';
import { type HubSchedule, hubScheduleSchema, planSittings } from '../../src/domain/calendar.ts';

/*
 * `planSittings` for 50 hubs x 10 years against a reference measured in the same run: the raw
 * rrule.js expansion of the same rules (dates only: no bank holidays, closures, zones or slots).
 * The ratio is what to compare across machines; milliseconds depend on the machine and its load.
 */

const { RRule } = rrulePackage;
const FROM = '2026-01-01';
const TO = '2035-12-31';
const weekdays = ['MO', 'TU', 'WE', 'TH', 'FR'] as const;

function hubs(count: number): HubSchedule[] {
  return Array.from({ length: count }, (_, i) => {
    const weekday = i % 5; // 2026-01-05 is a Monday
    const interval = 1 + (i % 2);
    return hubScheduleSchema.parse({
      name: `Bench hub ${i}`,
      rrule: `FREQ=WEEKLY;INTERVAL=${interval};BYDAY=${weekdays[weekday]}`,
      firstSitting: `2026-01-${String(5 + weekday + 7 * (i % 3)).padStart(2, '0')}`,
      startTime: i % 2 === 0 ? '09:30' : '13:30',
      slotsPerSitting: 8 + (i % 5),
      breakAfterSlot: 4,
      breakMinutes: 15,
      holidayPolicy: i % 3 === 0 ? 'next-working-day' : 'skip',
      closures: Array.from({ length: 10 }, (_, y) => ({
        from: `${2026 + y}-12-24`,
        to: `${2026 + y}-12-31`,
        reason: 'Christmas closure',
      })),
    });
  });
}

const floating = (date: string) => new Date(`${date}T00:00:00Z`);

function reference(list: HubSchedule[]): number {
  let dates = 0;
  for (const hub of list) {
    const rule = new RRule({ ...RRule.parseString(hub.rrule), dtstart: floating(hub.firstSitting) }, true);
    dates += rule.between(floating(FROM), floating(TO), true).length;
  }
  return dates;
}

function planner(list: HubSchedule[]): number {
  let sittings = 0;
  for (const hub of list) sittings += planSittings(hub, { from: FROM, to: TO }).sittings.length;
  return sittings;
}

function time(run: () => number): { ms: number; count: number } {
  const start = performance.now();
  const count = run();
  return { ms: performance.now() - start, count };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export default async function ({ full }: { full: boolean }): Promise<void> {
  const list = hubs(50);
  // The first run pays for the bank-holiday tables (per year) and zone-offset tables (per zone).
  const cold = time(() => planner(list));
  const rounds = full ? 15 : 5;
  const refs: number[] = [];
  const plans: number[] = [];
  let rawDates = 0;
  let sittings = 0;
  for (let round = 0; round < rounds; round += 1) {
    const r = time(() => reference(list));
    const p = time(() => planner(list));
    refs.push(r.ms);
    plans.push(p.ms);
    rawDates = r.count;
    sittings = p.count;
  }
  const ref = median(refs);
  const plan = median(plans);
  console.log(`50 hubs x 10 years (${FROM} to ${TO}): ${rawDates} rule dates, ${sittings} sittings planned`);
  console.log(`  reference, raw rrule expansion:   ${ref.toFixed(1)} ms (median of ${rounds})`);
  console.log(
    `  planSittings (holidays, zone, slots): ${plan.toFixed(1)} ms (median of ${rounds}); first run ${cold.ms.toFixed(1)} ms`,
  );
  console.log(
    `  ratio planner / reference: ${(plan / ref).toFixed(2)}x; ${((plan * 1000) / sittings).toFixed(1)} us per sitting`,
  );
}
