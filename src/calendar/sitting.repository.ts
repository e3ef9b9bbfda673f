import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Database, SittingsTable } from '../../schema/database.ts';
import { dateText } from '../hubs/hub.repository.ts';

type Db = Kysely<Database> | Transaction<Database>;

export type SittingStatus = 'planned' | 'published' | 'held' | 'cancelled';

/** A stored sitting. `date` is the local calendar date in the hub's zone; instants are Dates. */
export interface StoredSitting {
  id: number;
  hubId: number;
  date: string;
  startsAt: Date;
  endsAt: Date;
  slotCount: number;
  slotMinutes: number;
  /** Counted from 1 (the break follows this slot), as typed by people; null for no break. */
  breakAfterSlot: number | null;
  breakMinutes: number;
  status: SittingStatus;
  /** The rule's date when the sitting was moved off a bank holiday or closure. */
  movedFrom: string | null;
  statusReason: string | null;
  agendaBuiltAt: Date | null;
  publishedAt: Date | null;
}

/** The planned shape of a sitting: what the planner writes (copied from the hub at planning time). */
export interface SittingShape {
  date: string;
  startsAt: Date | string;
  endsAt: Date | string;
  slotCount: number;
  slotMinutes: number;
  breakAfterSlot: number | null;
  breakMinutes: number;
  movedFrom: string | null;
}

function toStored(row: Selectable<SittingsTable>): StoredSitting {
  return {
    id: row.id,
    hubId: row.hub_id,
    date: dateText(row.date),
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    slotCount: row.slot_count,
    slotMinutes: row.slot_minutes,
    breakAfterSlot: row.break_after_slot,
    breakMinutes: row.break_minutes,
    status: row.status as SittingStatus,
    movedFrom: row.moved_from === null ? null : dateText(row.moved_from),
    statusReason: row.status_reason,
    agendaBuiltAt: row.agenda_built_at,
    publishedAt: row.published_at,
  };
}

function shapeColumns(shape: SittingShape) {
  return {
    date: shape.date,
    starts_at: shape.startsAt,
    ends_at: shape.endsAt,
    slot_count: shape.slotCount,
    slot_minutes: shape.slotMinutes,
    break_after_slot: shape.breakAfterSlot,
    break_minutes: shape.breakMinutes,
    moved_from: shape.movedFrom,
  };
}

/** A hub's sittings in date order, optionally from/to a date (inclusive) and with given statuses. */
export async function listSittings(
  db: Db,
  hubId: number,
  filter: { from?: string; to?: string; statuses?: SittingStatus[] } = {},
): Promise<StoredSitting[]> {
  let query = db.selectFrom('sittings').selectAll().where('hub_id', '=', hubId);
  if (filter.from !== undefined) query = query.where('date', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('date', '<=', filter.to);
  if (filter.statuses !== undefined) {
    if (filter.statuses.length === 0) return [];
    query = query.where('status', 'in', filter.statuses);
  }
  const rows = await query.orderBy('date').execute();
  return rows.map(toStored);
}

/** One sitting, or null. */
export async function findSitting(db: Db, sittingId: number): Promise<StoredSitting | null> {
  const row = await db.selectFrom('sittings').selectAll().where('id', '=', sittingId).executeTakeFirst();
  return row ? toStored(row) : null;
}

/** Inserts a planned sitting; returns its id. */
export async function insertSitting(db: Db, hubId: number, shape: SittingShape): Promise<number> {
  const { id } = await db
    .insertInto('sittings')
    .values({ hub_id: hubId, ...shapeColumns(shape), status: 'planned' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/**
 * Reshapes a sitting that is still 'planned' (or revives one with status `cancelled`, making it
 * planned again). Refuses, by returning false, to touch a sitting in any other status.
 */
export async function reshapeSitting(
  db: Db,
  sittingId: number,
  shape: SittingShape,
  fromStatus: 'planned' | 'cancelled' = 'planned',
): Promise<boolean> {
  const result = await db
    .updateTable('sittings')
    .set({ ...shapeColumns(shape), status: 'planned', status_reason: null, updated_at: sql`now()` })
    .where('id', '=', sittingId)
    .where('status', '=', fromStatus)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Cancels a sitting that is still 'planned', with the reason shown to people; false otherwise. */
export async function cancelPlannedSitting(db: Db, sittingId: number, reason: string): Promise<boolean> {
  const result = await db
    .updateTable('sittings')
    .set({ status: 'cancelled', status_reason: reason, updated_at: sql`now()` })
    .where('id', '=', sittingId)
    .where('status', '=', 'planned')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
