import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';

/*
 * `date` columns are selected as `::text` so they read as 'YYYY-MM-DD' on both engines whatever the
 * driver's parsers do (in-memory PGlite currently ignores them).
 *
 * The only Kysely code for requests as the web and the API read them (new-request.repository.ts
 * creates them). Every read takes the principal and filters by its scope in SQL, so "not yours" and
 * "does not exist" are the same empty result: a school sees its own school's requests, an agency
 * the requests allocated to it.
 * Queries alias `requests` as `r`.
 */

type Conn = Kysely<Database> | Transaction<Database>;

/** The principal's scope over `requests r` as a SQL condition. */
export function requestScope(principal: Actor): RawBuilder<boolean> {
  if (principal.kind === 'system') return sql<boolean>`true`;
  switch (principal.role) {
    case 'admin':
    case 'chair':
    case 'coordinator':
      return sql<boolean>`true`;
    case 'school':
      return principal.schoolId === null
        ? sql<boolean>`false`
        : sql<boolean>`r.school_id = ${principal.schoolId}`;
    case 'agency':
      return principal.agencyId === null
        ? sql<boolean>`false`
        : sql<boolean>`exists (select 1 from allocations a where a.request_id = r.id and a.agency_id = ${principal.agencyId})`;
  }
}

function summaryQuery(db: Conn, principal: Actor) {
  return db
    .selectFrom('requests as r')
    .innerJoin('families as f', 'f.id', 'r.family_id')
    .leftJoin('schools as s', 's.id', 'r.school_id')
    .select([
      'r.id',
      'r.reference',
      'r.hub_id',
      'r.kind',
      'r.status',
      'r.urgency',
      'r.complex',
      'r.received_at',
      'f.reference as family_reference',
      's.id as school_id',
      's.urn as school_urn',
      's.name as school_name',
      'r.consent_given',
      'r.times_carried_over',
      sql<number>`(select count(*)::int from request_children rc where rc.request_id = r.id)`.as(
        'child_count',
      ),
    ])
    .where(requestScope(principal));
}

export type SummaryRow = Awaited<ReturnType<ReturnType<typeof summaryQuery>['executeTakeFirstOrThrow']>>;

export interface ListFilter {
  /** Keyset: rows strictly after this (received_at desc, id desc). */
  after: { receivedAt: Date; id: number } | null;
  limit: number;
  status?: string;
  hubId?: number;
  schoolId?: number;
}

/**
 * Requests visible to the principal, newest first (received_at desc, id desc), each with its latest
 * agenda placement (as `findPlacements` gives it) or null: one query for the page.
 */
export async function listRequestRows(
  db: Conn,
  principal: Actor,
  filter: ListFilter,
): Promise<Array<SummaryRow & { placement: PlacementRow | null }>> {
  let q = summaryQuery(db, principal)
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('agenda_item_requests as air')
          .innerJoin('agenda_items as ai', 'ai.id', 'air.agenda_item_id')
          .innerJoin('sittings as st', 'st.id', 'ai.sitting_id')
          .innerJoin('hubs as h', 'h.id', 'st.hub_id')
          .select(placementColumns)
          .whereRef('air.request_id', '=', 'r.id')
          .where('st.status', '<>', 'cancelled')
          .orderBy('st.date', 'desc')
          .limit(1)
          .as('p'),
      (join) => join.onTrue(),
    )
    .select([
      'p.request_id as p_request_id',
      'p.sitting_id as p_sitting_id',
      'p.date as p_date',
      'p.starts_at as p_starts_at',
      'p.slot_minutes as p_slot_minutes',
      'p.slot_count as p_slot_count',
      'p.break_after_slot as p_break_after_slot',
      'p.break_minutes as p_break_minutes',
      'p.status as p_status',
      'p.slot as p_slot',
      'p.slots_used as p_slots_used',
      'p.timezone as p_timezone',
    ]);
  if (filter.status !== undefined) q = q.where('r.status', '=', filter.status);
  if (filter.hubId !== undefined) q = q.where('r.hub_id', '=', filter.hubId);
  if (filter.schoolId !== undefined) q = q.where('r.school_id', '=', filter.schoolId);
  if (filter.after !== null) {
    const { receivedAt, id } = filter.after;
    q = q.where(sql<boolean>`(r.received_at, r.id) < (${receivedAt}, ${id})`);
  }
  const rows = await q.orderBy('r.received_at', 'desc').orderBy('r.id', 'desc').limit(filter.limit).execute();
  return rows.map(
    ({
      p_request_id,
      p_sitting_id,
      p_date,
      p_starts_at,
      p_slot_minutes,
      p_slot_count,
      p_break_after_slot,
      p_break_minutes,
      p_status,
      p_slot,
      p_slots_used,
      p_timezone,
      ...row
    }) => ({
      ...row,
      placement:
        p_request_id === null
          ? null
          : {
              request_id: p_request_id,
              sitting_id: p_sitting_id as number,
              date: p_date as string,
              starts_at: p_starts_at as Date,
              slot_minutes: p_slot_minutes as number,
              slot_count: p_slot_count as number,
              break_after_slot: p_break_after_slot,
              break_minutes: p_break_minutes as number,
              status: p_status as string,
              slot: p_slot as number,
              slots_used: p_slots_used as number,
              timezone: p_timezone as string,
            },
    }),
  );
}

export async function findRequestRow(db: Conn, principal: Actor, id: number) {
  return summaryQuery(db, principal)
    .select([
      'r.external_reference',
      'r.review_due_at',
      'r.consent_recorded_at',
      'r.consent_recorded_by',
      'r.referrer_name',
      'r.referrer_organisation',
      'r.referrer_email',
      'r.attendance_from',
      'r.attendance_to',
    ])
    .where('r.id', '=', id)
    .executeTakeFirst();
}

/** `times_carried_over` of the given requests the principal may see, by id (others are absent). */
export async function findTimesCarriedOver(
  db: Conn,
  principal: Actor,
  ids: number[],
): Promise<Map<number, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('requests as r')
    .select(['r.id', 'r.times_carried_over'])
    .where('r.id', 'in', ids)
    .where(requestScope(principal))
    .execute();
  return new Map(rows.map((r) => [r.id, r.times_carried_over]));
}

export interface PlacementRow {
  request_id: number;
  sitting_id: number;
  date: string;
  starts_at: Date;
  slot_minutes: number;
  slot_count: number;
  break_after_slot: number | null;
  break_minutes: number;
  status: string;
  slot: number;
  slots_used: number;
  timezone: string;
}

/** PlacementRow's columns over `agenda_item_requests air`, `agenda_items ai`, `sittings st`, `hubs h`. */
const placementColumns = [
  'air.request_id',
  'st.id as sitting_id',
  sql<string>`st.date::text`.as('date'),
  'st.starts_at',
  'st.slot_minutes',
  'st.slot_count',
  'st.break_after_slot',
  'st.break_minutes',
  'st.status',
  'ai.slot',
  'ai.slots_used',
  'h.timezone',
] as const;

/** Each request's latest agenda placement (by sitting date), for the given ids. */
export async function findPlacements(db: Conn, requestIds: number[]): Promise<PlacementRow[]> {
  if (requestIds.length === 0) return [];
  return db
    .selectFrom('agenda_item_requests as air')
    .innerJoin('agenda_items as ai', 'ai.id', 'air.agenda_item_id')
    .innerJoin('sittings as st', 'st.id', 'ai.sitting_id')
    .innerJoin('hubs as h', 'h.id', 'st.hub_id')
    .distinctOn('air.request_id')
    .select(placementColumns)
    .where('st.status', '<>', 'cancelled')
    .where('air.request_id', 'in', requestIds)
    .orderBy('air.request_id')
    .orderBy('st.date', 'desc')
    .execute();
}

export async function findChildren(db: Conn, requestId: number) {
  return db
    .selectFrom('request_children as rc')
    .innerJoin('children as c', 'c.id', 'rc.child_id')
    .select(sql<string>`c.date_of_birth::text`.as('date_of_birth'))
    .where('rc.request_id', '=', requestId)
    .orderBy('c.date_of_birth')
    .orderBy('c.id')
    .execute();
}

export async function findNeeds(db: Conn, requestId: number) {
  return db
    .selectFrom('request_needs as rn')
    .innerJoin('needs as n', 'n.code', 'rn.need_code')
    .select(['rn.need_code', 'n.label', 'rn.severity'])
    .where('rn.request_id', '=', requestId)
    .orderBy('rn.severity', 'desc')
    .orderBy('rn.need_code')
    .execute();
}

export async function findAllocation(db: Conn, requestId: number) {
  return db
    .selectFrom('allocations as a')
    .innerJoin('agencies as ag', 'ag.id', 'a.agency_id')
    .select([
      'a.agency_id',
      'ag.name',
      'a.decision',
      'a.decided_at',
      sql<string>`a.review_due_on::text`.as('review_due_on'),
      'a.closed_at',
    ])
    .where('a.request_id', '=', requestId)
    .executeTakeFirst();
}

/** The request's proforma for its latest sitting, when one was asked for. */
export async function findLatestProforma(db: Conn, requestId: number) {
  return db
    .selectFrom('proformas as p')
    .innerJoin('sittings as st', 'st.id', 'p.sitting_id')
    .select(['p.id', 'p.status', 'p.deadline_at', 'p.submitted_at'])
    .where('p.request_id', '=', requestId)
    .orderBy('st.date', 'desc')
    .limit(1)
    .executeTakeFirst();
}
