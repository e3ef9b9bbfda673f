import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { cliActor } from '../actor.ts';
import { planAndStoreSittings } from '../calendar/sitting.service.ts';
import {
  type HubSchedule,
  hubScheduleSchema,
  planRangeSchema,
  planSittings,
  type SittingPlan,
  weekdayShort,
} from '../domain/calendar.ts';
import { isIsoDate } from '../domain/working-days.ts';
import { AppError } from '../errors.ts';
import { getHub } from '../hubs/hub.repository.ts';
import { parseOrThrow } from '../validation.ts';
import { withDatabase } from './context.ts';
import { action, type OutputOptions, print } from './output.ts';

interface PlanOptions extends OutputOptions {
  config?: string;
  hub?: string;
  from?: string;
  to?: string;
  store?: boolean;
  horizon?: string;
}

function bad(field: string, message: string): AppError {
  return new AppError('invalid-input', `--${field} ${message}`, { issues: [{ field, message }] });
}

async function readHubConfig(path: string): Promise<HubSchedule> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new AppError('invalid-input', `Cannot read the hub config ${path}: ${(error as Error).message}`, {
      issues: [{ field: 'config', message: 'cannot be read' }],
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AppError('invalid-input', `${path} is not valid JSON: ${(error as Error).message}`, {
      issues: [{ field: 'config', message: 'is not valid JSON' }],
      cause: error,
    });
  }
  return parseOrThrow(hubScheduleSchema, json, `hub config ${path}`);
}

const localTime = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toFormat('HH:mm');

/** The plan as a table people read: one line per sitting, then the skipped rule dates with reasons. */
export function planTable(
  hub: HubSchedule,
  range: { from: string; to: string },
  plan: SittingPlan,
): string[] {
  const moveReason = new Map(plan.skipped.filter((s) => s.movedTo).map((s) => [s.movedTo, s.reason]));
  const lines = [
    `${hub.name}: ${plan.sittings.length} sitting(s) from ${range.from} to ${range.to}, ` +
      `${hub.slotsPerSitting} x ${hub.slotMinutes} min slots, holidays: ${hub.holidayPolicy} (${hub.timezone})`,
    '',
    'Date        Day  Time (local)      Slots  Note',
  ];
  for (const s of plan.sittings) {
    const zoneName = DateTime.fromISO(s.startsAt, { zone: hub.timezone }).setLocale('en-GB').offsetNameShort;
    const time = `${localTime(s.startsAt, hub.timezone)}-${localTime(s.endsAt, hub.timezone)} ${zoneName}`;
    const note = s.movedFrom
      ? `moved from ${s.movedFrom} (${moveReason.get(s.date) ?? 'not a working day'})`
      : '';
    lines.push(
      `${s.date}  ${weekdayShort(s.date)}  ${time.padEnd(16)}  ${String(s.slots.length).padStart(5)}  ${note}`.trimEnd(),
    );
  }
  if (plan.sittings.length === 0) lines.push('(no sittings)');
  const dropped = plan.skipped.filter((s) => s.movedTo === null);
  const moved = plan.skipped.filter((s) => s.movedTo !== null);
  if (dropped.length > 0) {
    lines.push('', 'Skipped rule dates:');
    for (const s of dropped) lines.push(`${s.date}  ${weekdayShort(s.date)}  ${s.reason}`);
  }
  if (moved.length > 0) {
    lines.push('', 'Moved rule dates:');
    for (const s of moved) lines.push(`${s.date}  ${weekdayShort(s.date)}  ${s.reason} -> ${s.movedTo}`);
  }
  return lines;
}

export function registerPlanCommands(program: Command): void {
  program
    .command('plan')
    .description("plan a hub's sittings: dates, local times and slots, skipping bank holidays and closures")
    .option('--config <file>', 'hub.json to plan from (no database needed)')
    .option('--hub <id>', 'a stored hub (with its closures and the council-wide ones)')
    .option(
      '--from <date>',
      'first rule date to plan, YYYY-MM-DD (default with --hub: today in the hub zone)',
    )
    .option('--to <date>', 'last rule date to plan, YYYY-MM-DD (default with --hub: 6 months after --from)')
    .option('--store', 'with --hub: create/update the stored sittings from today (idempotent)')
    .option('--horizon <months>', 'with --store: months ahead to plan', '6')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
hub.json:
  { "name": "City Hub", "timezone": "Europe/London", "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE",
    "firstSitting": "2027-01-06", "startTime": "09:30", "slotMinutes": 30, "slotsPerSitting": 8,
    "breakAfterSlot": null, "breakMinutes": 0, "holidayPolicy": "skip",
    "closures": ["2027-12-29", {"from": "2027-12-24", "to": "2027-12-31", "reason": "Christmas closure"}] }`,
    )
    .action(
      action(async (options: PlanOptions) => {
        if ((options.config === undefined) === (options.hub === undefined)) {
          throw bad('config', 'or --hub is needed (one of them, not both)');
        }
        if (options.config !== undefined) {
          if (options.store) throw bad('store', 'needs --hub: a config file is only planned, never stored');
          if (options.from === undefined) throw bad('from', 'is needed with --config (YYYY-MM-DD)');
          if (options.to === undefined) throw bad('to', 'is needed with --config (YYYY-MM-DD)');
          const range = parseOrThrow(planRangeSchema, { from: options.from, to: options.to }, 'dates');
          const hub = await readHubConfig(options.config);
          const plan = planSittings(hub, range);
          print(options, plan, () => planTable(hub, range, plan));
          return;
        }
        const hubId = Number(options.hub);
        if (!Number.isInteger(hubId) || hubId < 1)
          throw bad('hub', 'must be a hub id (a positive whole number)');
        if (options.store) {
          if (options.from !== undefined || options.to !== undefined) {
            throw bad('store', 'plans from today for --horizon months; leave out --from/--to');
          }
          const horizonMonths = Number(options.horizon);
          const summary = await withDatabase(({ db }) =>
            planAndStoreSittings(db, hubId, { now: new Date(), horizonMonths, actor: cliActor }),
          );
          print(options, summary, () => [
            `Hub ${hubId}, ${summary.from} to ${summary.to}: ${summary.created} created, ${summary.moved} moved, ` +
              `${summary.cancelled} cancelled, ${summary.unchanged} unchanged.`,
            ...summary.changes.map(
              (c) =>
                `  ${c.kind.padEnd(9)} ${c.date}${c.fromDate ? ` (was ${c.fromDate})` : ''}  sitting ${c.sittingId}`,
            ),
          ]);
          return;
        }
        const { hub, range, plan } = await withDatabase(async ({ db }) => {
          const record = await getHub(db, hubId);
          const from = options.from ?? DateTime.now().setZone(record.schedule.timezone).toISODate()!;
          const to =
            options.to ??
            (isIsoDate(from)
              ? DateTime.fromISO(from, { zone: 'UTC' }).plus({ months: 6 }).toISODate()!
              : from);
          const range = parseOrThrow(planRangeSchema, { from, to }, 'dates');
          return { hub: record.schedule, range, plan: planSittings(record.schedule, range) };
        });
        print(options, plan, () => planTable(hub, range, plan));
      }),
    );
}
