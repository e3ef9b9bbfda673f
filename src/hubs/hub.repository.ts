import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Database, HubsTable } from '../../schema/database.ts';
import { type HubSchedule, hubScheduleSchema } from '../domain/calendar.ts';
import type { Closure } from '../domain/working-days.ts';
import { AppError } from '../errors.ts';
import { parseOrThrow } from '../validation.ts';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * A `date` column as 'YYYY-MM-DD'. The client configures both engines to return text, but an
 * in-memory PGlite (tests) currently hands back a Date at UTC midnight; accept both.
 */
export function dateText(value: string | Date): string {
  return value instanceof Date ? value.toISOString().slice(0, 10) : value;
}
type HubRow = Selectable<HubsTable>;

/** A stored hub: its id, the schedule the planner works on, and the settings other features use. */
export interface HubRecord {
  id: number;
  name: string;
  /** Closures of this hub and council-wide ones (hub_id null) are both in `schedule.closures`. */
  schedule: HubSchedule;
  missingProformaPolicy: 'defer' | 'flag';
  proformaDeadlineWorkingDays: number;
  reminderCadence: number[];
  agendaLeadWorkingDays: number;
  complexSlots: number;
  childrenForComplex: number;
  matchWeights: unknown;
}

/** A closure row (a null `hubId` closes every hub). Dates are 'YYYY-MM-DD', inclusive. */
export interface ClosureRecord extends Closure {
  id: number;
  hubId: number | null;
}

/** Closures that apply to `hubId`: its own and the council-wide ones, by start date. */
export async function listClosures(db: Db, hubId: number): Promise<ClosureRecord[]> {
  const rows = await db
    .selectFrom('closures')
    .selectAll()
    .where((eb) => eb.or([eb('hub_id', '=', hubId), eb('hub_id', 'is', null)]))
    .orderBy('starts_on')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    hubId: r.hub_id,
    startsOn: dateText(r.starts_on),
    endsOn: dateText(r.ends_on),
    reason: r.reason,
  }));
}

/**
 * Maps a hubs row and its closures to the domain's schedule, through the same schema as hub.json,
 * so a stored hub the planner cannot use fails with the field named (code invalid-config).
 */
export function toHubSchedule(row: HubRow, closures: readonly Closure[]): HubSchedule {
  return parseOrThrow(
    hubScheduleSchema,
    {
      name: row.name,
      timezone: row.timezone,
      rrule: row.rrule,
      firstSitting: dateText(row.first_sitting),
      startTime: row.start_time,
      slotMinutes: row.slot_minutes,
      slotsPerSitting: row.slots_per_sitting,
      breakAfterSlot: row.break_after_slot,
      breakMinutes: row.break_minutes,
      holidayPolicy: row.holiday_policy,
      closures: closures.map((c) => ({ startsOn: c.startsOn, endsOn: c.endsOn, reason: c.reason })),
    },
    `stored hub ${row.id}`,
    'invalid-config',
  );
}

function toHubRecord(row: HubRow, closures: readonly Closure[]): HubRecord {
  return {
    id: row.id,
    name: row.name,
    schedule: toHubSchedule(row, closures),
    missingProformaPolicy: row.missing_proforma_policy === 'defer' ? 'defer' : 'flag',
    proformaDeadlineWorkingDays: row.proforma_deadline_working_days,
    reminderCadence: row.reminder_cadence,
    agendaLeadWorkingDays: row.agenda_lead_working_days,
    complexSlots: row.complex_slots,
    childrenForComplex: row.children_for_complex,
    matchWeights: row.match_weights,
  };
}

/** The hub with its closures; AppError('not-found') when there is no such hub. */
export async function getHub(db: Db, hubId: number): Promise<HubRecord> {
  const row = await db.selectFrom('hubs').selectAll().where('id', '=', hubId).executeTakeFirst();
  if (!row) throw new AppError('not-found', `There is no hub ${hubId}.`);
  return toHubRecord(row, await listClosures(db, hubId));
}

/**
 * Like getHub, but takes a row lock on the hub for the rest of the transaction, so two planners
 * of the same hub run one after the other. Call it inside a transaction.
 */
export async function getHubForUpdate(trx: Transaction<Database>, hubId: number): Promise<HubRecord> {
  const row = await trx.selectFrom('hubs').selectAll().where('id', '=', hubId).forUpdate().executeTakeFirst();
  if (!row) throw new AppError('not-found', `There is no hub ${hubId}.`);
  return toHubRecord(row, await listClosures(trx, hubId));
}

/** Every hub (id and name) by name. */
export async function listHubs(db: Db): Promise<Array<{ id: number; name: string; timezone: string }>> {
  return db.selectFrom('hubs').select(['id', 'name', 'timezone']).orderBy('name').execute();
}

/** Inserts a hub from a validated schedule (its closures become closure rows); returns its id. */
export async function insertHub(db: Db, schedule: HubSchedule): Promise<number> {
  const { id } = await db
    .insertInto('hubs')
    .values({ ...scheduleColumns(schedule), name: schedule.name })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (schedule.closures.length > 0) {
    await db
      .insertInto('closures')
      .values(
        schedule.closures.map((c) => ({
          hub_id: id,
          starts_on: c.startsOn,
          ends_on: c.endsOn,
          reason: c.reason,
        })),
      )
      .execute();
  }
  return id;
}

/** Replaces a hub's schedule columns (not its closures); the caller re-plans its sittings. */
export async function updateHubSchedule(
  db: Db,
  hubId: number,
  schedule: Omit<HubSchedule, 'closures'>,
): Promise<void> {
  const result = await db
    .updateTable('hubs')
    .set({ ...scheduleColumns(schedule), name: schedule.name, updated_at: sql`now()` })
    .where('id', '=', hubId)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new AppError('not-found', `There is no hub ${hubId}.`);
}

/** Adds a closure to one hub (or to every hub with `hubId` null); returns its id. */
export async function insertClosure(db: Db, hubId: number | null, closure: Closure): Promise<number> {
  const { id } = await db
    .insertInto('closures')
    .values({ hub_id: hubId, starts_on: closure.startsOn, ends_on: closure.endsOn, reason: closure.reason })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

function scheduleColumns(schedule: Omit<HubSchedule, 'closures' | 'name'>) {
  return {
    timezone: schedule.timezone,
    rrule: schedule.rrule,
    first_sitting: schedule.firstSitting,
    start_time: schedule.startTime,
    slot_minutes: schedule.slotMinutes,
    slots_per_sitting: schedule.slotsPerSitting,
    break_after_slot: schedule.breakAfterSlot,
    break_minutes: schedule.breakMinutes,
    holiday_policy: schedule.holidayPolicy,
  };
}
