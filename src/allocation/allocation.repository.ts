import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';

/*
 * The allocation feature's only Kysely code (suggestions are in suggestion.repository.ts).
 * Functions take `db` or `trx` first; the service opens the transaction.
 */
export type Conn = Kysely<Database> | Transaction<Database>;

export interface MatchSittingRow {
  id: number;
  hubId: number;
  date: string;
  status: string;
  timezone: string;
  matchWeights: unknown;
}

export async function findMatchSitting(db: Conn, sittingId: number): Promise<MatchSittingRow | null> {
  const row = await db
    .selectFrom('sittings as s')
    .innerJoin('hubs as h', 'h.id', 's.hub_id')
    .select([
      's.id',
      's.hub_id as hubId',
      's.date',
      's.status',
      'h.timezone',
      'h.match_weights as matchWeights',
    ])
    .where('s.id', '=', sittingId)
    .executeTakeFirst();
  return row ? { ...row, date: String(row.date).slice(0, 10) } : null;
}

export interface AgendaRequestRow {
  id: number;
  reference: string;
  familyId: number;
  schoolId: number | null;
  locality: string;
}

/** The sitting's agenda requests that still need a lead agency (status `on-agenda`). */
export async function findUnallocatedAgendaRequests(
  db: Conn,
  sittingId: number,
): Promise<AgendaRequestRow[]> {
  return db
    .selectFrom('agenda_item_requests as air')
    .innerJoin('requests as r', 'r.id', 'air.request_id')
    .innerJoin('families as f', 'f.id', 'r.family_id')
    .select(['r.id', 'r.reference', 'r.family_id as familyId', 'r.school_id as schoolId', 'f.locality'])
    .where('air.sitting_id', '=', sittingId)
    .where('r.status', '=', 'on-agenda')
    .orderBy('r.id')
    .execute();
}

export async function findNeeds(
  db: Conn,
  requestIds: number[],
): Promise<Array<{ requestId: number; code: string; severity: number }>> {
  if (requestIds.length === 0) return [];
  return db
    .selectFrom('request_needs')
    .select(['request_id as requestId', 'need_code as code', 'severity'])
    .where('request_id', 'in', requestIds)
    .orderBy('request_id')
    .orderBy('need_code')
    .execute();
}

export async function findChildren(
  db: Conn,
  requestIds: number[],
): Promise<Array<{ requestId: number; dateOfBirth: string; schoolId: number | null }>> {
  if (requestIds.length === 0) return [];
  const rows = await db
    .selectFrom('request_children as rc')
    .innerJoin('children as c', 'c.id', 'rc.child_id')
    .select(['rc.request_id as requestId', 'c.date_of_birth as dateOfBirth', 'c.school_id as schoolId'])
    .where('rc.request_id', 'in', requestIds)
    .orderBy('rc.request_id')
    .orderBy('c.id')
    .execute();
  return rows.map((r) => ({ ...r, dateOfBirth: String(r.dateOfBirth).slice(0, 10) }));
}

export interface AgencyRow {
  id: number;
  kind: string;
  schoolId: number | null;
  specialisms: string[];
  localities: string[];
  cityWide: boolean;
  minAge: number;
  maxAge: number;
  capacity: number;
  activeCases: number;
}

/** Every active agency with its live capacity. */
export async function findActiveAgencies(db: Conn): Promise<AgencyRow[]> {
  return db
    .selectFrom('agencies')
    .select([
      'id',
      'kind',
      'school_id as schoolId',
      'specialisms',
      'localities',
      'city_wide as cityWide',
      'min_age as minAge',
      'max_age as maxAge',
      'capacity',
      'active_cases as activeCases',
    ])
    .where('active', '=', true)
    .orderBy('id')
    .execute();
}

/** Agencies leading an open allocation for another request of the same family. */
export async function findFamilyLeads(
  db: Conn,
  familyIds: number[],
): Promise<Array<{ familyId: number; agencyId: number }>> {
  if (familyIds.length === 0) return [];
  return db
    .selectFrom('allocations as a')
    .innerJoin('requests as r', 'r.id', 'a.request_id')
    .select(['r.family_id as familyId', 'a.agency_id as agencyId'])
    .where('r.family_id', 'in', familyIds)
    .where('a.closed_at', 'is', null)
    .distinct()
    .execute();
}

export interface LockedRequest {
  id: number;
  hubId: number;
  status: string;
  timezone: string;
}

/** The request, locked for this transaction (row lock): decisions on one request queue up. */
export async function lockRequest(
  trx: Transaction<Database>,
  requestId: number,
): Promise<LockedRequest | null> {
  const row = await trx
    .selectFrom('requests as r')
    .innerJoin('hubs as h', 'h.id', 'r.hub_id')
    .select(['r.id', 'r.hub_id as hubId', 'r.status', 'h.timezone'])
    .where('r.id', '=', requestId)
    .forUpdate('r')
    .executeTakeFirst();
  return row ?? null;
}

/**
 * Takes one place at the agency if it is active and has one free: a single conditional update, so
 * two transactions racing for the last place cannot both succeed (the second re-checks the row
 * after the first commits and updates nothing). Returns false when no place was taken.
 */
export async function takePlace(trx: Transaction<Database>, agencyId: number): Promise<boolean> {
  const row = await trx
    .updateTable('agencies')
    .set({ active_cases: sql`active_cases + 1`, updated_at: sql`now()` })
    .where('id', '=', agencyId)
    .where('active', '=', true)
    .where(sql<boolean>`active_cases < capacity`)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Gives a place back (never below zero). */
export async function releasePlace(trx: Transaction<Database>, agencyId: number): Promise<void> {
  await trx
    .updateTable('agencies')
    .set({ active_cases: sql`active_cases - 1`, updated_at: sql`now()` })
    .where('id', '=', agencyId)
    .where('active_cases', '>', 0)
    .execute();
}

export async function findAgency(
  db: Conn,
  agencyId: number,
): Promise<{ id: number; active: boolean; capacity: number; activeCases: number } | null> {
  const row = await db
    .selectFrom('agencies')
    .select(['id', 'active', 'capacity', 'active_cases as activeCases'])
    .where('id', '=', agencyId)
    .executeTakeFirst();
  return row ?? null;
}

export interface NewAllocation {
  requestId: number;
  agencyId: number;
  suggestionId: number | null;
  sittingId: number | null;
  decidedByUserId: number;
  decision: 'accepted' | 'overridden';
  overrideReason: string | null;
  decidedAt: Date;
  reviewDueOn: string;
  endsBy: string;
}

export async function insertAllocation(trx: Transaction<Database>, a: NewAllocation): Promise<number> {
  const row = await trx
    .insertInto('allocations')
    .values({
      request_id: a.requestId,
      agency_id: a.agencyId,
      suggestion_id: a.suggestionId,
      sitting_id: a.sittingId,
      decided_by_user_id: a.decidedByUserId,
      decision: a.decision,
      override_reason: a.overrideReason,
      decided_at: a.decidedAt,
      review_due_on: a.reviewDueOn,
      ends_by: a.endsBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function setRequestStatus(
  trx: Transaction<Database>,
  requestId: number,
  status: 'allocated',
  now: Date,
): Promise<void> {
  await trx.updateTable('requests').set({ status, updated_at: now }).where('id', '=', requestId).execute();
}

export async function closeRequest(
  trx: Transaction<Database>,
  requestId: number,
  closed: { byUserId: number; at: Date; reason: string },
): Promise<void> {
  await trx
    .updateTable('requests')
    .set({
      status: 'closed',
      closed_by_user_id: closed.byUserId,
      closed_at: closed.at,
      closed_reason: closed.reason,
      updated_at: closed.at,
    })
    .where('id', '=', requestId)
    .execute();
}

export interface AllocationRow {
  id: number;
  requestId: number;
  agencyId: number;
  closedAt: Date | null;
}

export async function findAllocation(db: Conn, allocationId: number): Promise<AllocationRow | null> {
  const row = await db
    .selectFrom('allocations')
    .select(['id', 'request_id as requestId', 'agency_id as agencyId', 'closed_at as closedAt'])
    .where('id', '=', allocationId)
    .executeTakeFirst();
  return row ?? null;
}

/** Closes the allocation if still open; false when it was already closed. */
export async function closeAllocationRow(
  trx: Transaction<Database>,
  allocationId: number,
  closedAt: Date,
  outcome: string,
): Promise<boolean> {
  const row = await trx
    .updateTable('allocations')
    .set({ closed_at: closedAt, outcome })
    .where('id', '=', allocationId)
    .where('closed_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}
