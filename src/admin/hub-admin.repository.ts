import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';
import { dateText } from '../hubs/hub.repository.ts';
import type { HubSettings } from './hub-admin.schemas.ts';

/*
 * Admin reads and writes of hubs and closures that the planner's repository (src/hubs) does not
 * have: the hub list with its next sitting, the non-schedule settings, every closure with its hub.
 */

type Db = Kysely<Database> | Transaction<Database>;

/** A hub as the admin list shows it. `nextSitting` is the first planned or published date from `today`. */
export interface HubSummary {
  id: number;
  name: string;
  timezone: string;
  rrule: string;
  startTime: string;
  slotsPerSitting: number;
  holidayPolicy: string;
  nextSitting: string | null;
}

/** Every hub by name, with its next sitting on or after `today` (YYYY-MM-DD). */
export async function listHubSummaries(db: Db, today: string): Promise<HubSummary[]> {
  const rows = await db
    .selectFrom('hubs as h')
    .select((eb) => [
      'h.id',
      'h.name',
      'h.timezone',
      'h.rrule',
      'h.start_time',
      'h.slots_per_sitting',
      'h.holiday_policy',
      eb
        .selectFrom('sittings as s')
        .select(sql<string>`min(s.date)::text`.as('d'))
        .whereRef('s.hub_id', '=', 'h.id')
        .where('s.date', '>=', today)
        .where('s.status', 'in', ['planned', 'published'])
        .as('next_sitting'),
    ])
    .orderBy('h.name')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    timezone: r.timezone,
    rrule: r.rrule,
    startTime: r.start_time,
    slotsPerSitting: r.slots_per_sitting,
    holidayPolicy: r.holiday_policy,
    nextSitting: r.next_sitting ?? null,
  }));
}

/** Writes a hub's non-schedule settings. */
export async function updateHubSettings(db: Db, hubId: number, settings: HubSettings): Promise<void> {
  await db
    .updateTable('hubs')
    .set({
      missing_proforma_policy: settings.missingProformaPolicy,
      proforma_deadline_working_days: settings.proformaDeadlineWorkingDays,
      reminder_cadence: settings.reminderCadence,
      agenda_lead_working_days: settings.agendaLeadWorkingDays,
      updated_at: sql`now()`,
    })
    .where('id', '=', hubId)
    .execute();
}

/** A closure with the name of its hub (null: every hub). Dates 'YYYY-MM-DD', inclusive. */
export interface ClosureView {
  id: number;
  hubId: number | null;
  hubName: string | null;
  startsOn: string;
  endsOn: string;
  reason: string;
}

/**
 * Closures by start date: all of them, or those that apply to one hub (its own and council-wide),
 * from `from` on when given (a closure still running on `from` is included).
 */
export async function listClosureViews(
  db: Db,
  filter: { hubId?: number; from?: string } = {},
): Promise<ClosureView[]> {
  let query = db
    .selectFrom('closures as c')
    .leftJoin('hubs as h', 'h.id', 'c.hub_id')
    .select(['c.id', 'c.hub_id', 'h.name as hub_name', 'c.starts_on', 'c.ends_on', 'c.reason']);
  const { hubId, from } = filter;
  if (hubId !== undefined)
    query = query.where((eb) => eb.or([eb('c.hub_id', '=', hubId), eb('c.hub_id', 'is', null)]));
  if (from !== undefined) query = query.where('c.ends_on', '>=', from);
  const rows = await query.orderBy('c.starts_on').orderBy('c.id').execute();
  return rows.map((r) => ({
    id: r.id,
    hubId: r.hub_id,
    hubName: r.hub_name,
    startsOn: dateText(r.starts_on),
    endsOn: dateText(r.ends_on),
    reason: r.reason,
  }));
}

/** Deletes a closure and returns what it was, or null when there is none with that id. */
export async function deleteClosure(db: Db, id: number): Promise<ClosureView | null> {
  const row = await db
    .deleteFrom('closures')
    .where('id', '=', id)
    .returning(['id', 'hub_id', 'starts_on', 'ends_on', 'reason'])
    .executeTakeFirst();
  if (row === undefined) return null;
  return {
    id: row.id,
    hubId: row.hub_id,
    hubName: null,
    startsOn: dateText(row.starts_on),
    endsOn: dateText(row.ends_on),
    reason: row.reason,
  };
}

/** Whether a hub with this id exists. */
export async function hubExists(db: Db, hubId: number): Promise<boolean> {
  const row = await db.selectFrom('hubs').select('id').where('id', '=', hubId).executeTakeFirst();
  return row !== undefined;
}

/** Ids of every hub. */
export async function allHubIds(db: Db): Promise<number[]> {
  return (await db.selectFrom('hubs').select('id').orderBy('id').execute()).map((r) => r.id);
}
