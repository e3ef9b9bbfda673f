import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';
import type { AgendaFlag, DeferralReason, RequestKind, Urgency } from '../domain/agenda.ts';

/*
 * The agenda's only Kysely code. Functions take `db` or `trx` first; the service opens the transaction.
 */
export type Conn = Kysely<Database> | Transaction<Database>;

export interface SittingRow {
  id: number;
  hubId: number;
  hubName: string;
  timezone: string;
  date: string;
  startsAt: Date;
  slotCount: number;
  slotMinutes: number;
  breakAfterSlot: number | null;
  breakMinutes: number;
  status: string;
  publishedAt: Date | null;
  agendaBuiltAt: Date | null;
  missingProformaPolicy: 'defer' | 'flag';
  complexSlots: number;
  childrenForComplex: number;
}

/** `sittings s` joined with `hubs h`, selecting a SittingRow's columns (for `toSittingRow`). */
export function sittingQuery(db: Conn) {
  return db
    .selectFrom('sittings as s')
    .innerJoin('hubs as h', 'h.id', 's.hub_id')
    .select([
      's.id',
      's.hub_id as hubId',
      'h.name as hubName',
      'h.timezone',
      's.date',
      's.starts_at as startsAt',
      's.slot_count as slotCount',
      's.slot_minutes as slotMinutes',
      's.break_after_slot as breakAfterSlot',
      's.break_minutes as breakMinutes',
      's.status',
      's.published_at as publishedAt',
      's.agenda_built_at as agendaBuiltAt',
      'h.missing_proforma_policy as missingProformaPolicy',
      'h.complex_slots as complexSlots',
      'h.children_for_complex as childrenForComplex',
    ]);
}

type SittingQueryRow = Awaited<ReturnType<ReturnType<typeof sittingQuery>['executeTakeFirstOrThrow']>>;

/** A row of `sittingQuery` as a SittingRow. */
export function toSittingRow(row: SittingQueryRow): SittingRow {
  return {
    id: row.id,
    hubId: row.hubId,
    hubName: row.hubName,
    timezone: row.timezone,
    date: calendarDay(row.date),
    startsAt: row.startsAt,
    slotCount: row.slotCount,
    slotMinutes: row.slotMinutes,
    breakAfterSlot: row.breakAfterSlot,
    breakMinutes: row.breakMinutes,
    status: row.status,
    publishedAt: row.publishedAt,
    agendaBuiltAt: row.agendaBuiltAt,
    missingProformaPolicy: row.missingProformaPolicy === 'defer' ? 'defer' : 'flag',
    complexSlots: row.complexSlots,
    childrenForComplex: row.childrenForComplex,
  };
}

/** The sitting with its hub's agenda policy, or null. */
export async function findSitting(db: Conn, sittingId: number): Promise<SittingRow | null> {
  const row = await sittingQuery(db).where('s.id', '=', sittingId).executeTakeFirst();
  return row ? toSittingRow(row) : null;
}

/** `YYYY-MM-DD`. PGlite (0.4) ignores the client's date parser and returns a UTC-midnight Date. */
function calendarDay(value: string | Date): string {
  return value instanceof Date ? value.toISOString().slice(0, 10) : value;
}

/** Serialises agenda work per hub: two sittings of one hub must not both take the same request. */
export async function lockHub(trx: Transaction<Database>, hubId: number): Promise<void> {
  await trx.selectFrom('hubs').select('id').where('id', '=', hubId).forUpdate().execute();
}

export interface CandidateRow {
  id: number;
  reference: string;
  familyId: number;
  familyReference: string;
  schoolId: number | null;
  kind: RequestKind;
  urgency: Urgency;
  receivedAt: Date;
  consentGiven: boolean;
  complex: boolean;
  timesCarriedOver: number;
  reviewDueAt: Date | null;
  attendanceFrom: string | null;
  attendanceTo: string | null;
  children: number;
  proformaStatus: string | null;
  proformaDeadlineAt: Date | null;
}

/**
 * Candidates for a sitting: the hub's open (or already on this agenda) requests received before it
 * starts, not allocated, not on another planned or published sitting's agenda, and not deferred by the
 * chair from this sitting. With their family, child count and this sitting's proforma.
 */
export async function findCandidates(db: Conn, sitting: SittingRow): Promise<CandidateRow[]> {
  const rows = await db
    .selectFrom('requests as r')
    .innerJoin('families as f', 'f.id', 'r.family_id')
    .leftJoin('proformas as p', (join) =>
      join.onRef('p.request_id', '=', 'r.id').on('p.sitting_id', '=', sitting.id),
    )
    .select((eb) => [
      'r.id',
      'r.reference',
      'r.family_id as familyId',
      'f.reference as familyReference',
      'r.school_id as schoolId',
      'r.kind',
      'r.urgency',
      'r.received_at as receivedAt',
      'r.consent_given as consentGiven',
      'r.complex',
      'r.times_carried_over as timesCarriedOver',
      'r.review_due_at as reviewDueAt',
      'r.attendance_from as attendanceFrom',
      'r.attendance_to as attendanceTo',
      'p.status as proformaStatus',
      'p.deadline_at as proformaDeadlineAt',
      eb
        .selectFrom('request_children as rc')
        .whereRef('rc.request_id', '=', 'r.id')
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('children'),
    ])
    .where('r.hub_id', '=', sitting.hubId)
    .where('r.status', 'in', ['open', 'on-agenda'])
    .where('r.received_at', '<=', sitting.startsAt)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('allocations as a').select('a.id').whereRef('a.request_id', '=', 'r.id'))),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('agenda_item_requests as air')
            .innerJoin('sittings as other', 'other.id', 'air.sitting_id')
            .select('air.request_id')
            .whereRef('air.request_id', '=', 'r.id')
            .where('air.sitting_id', '<>', sitting.id)
            .where('other.status', 'in', ['planned', 'published']),
        ),
      ),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('agenda_deferrals as d')
            .select('d.request_id')
            .whereRef('d.request_id', '=', 'r.id')
            .where('d.sitting_id', '=', sitting.id)
            .where('d.reason', '=', 'chair-deferred'),
        ),
      ),
    )
    .orderBy('r.id')
    .execute();
  return rows.map((r) => ({
    ...r,
    kind: r.kind as RequestKind,
    urgency: r.urgency as Urgency,
    children: Number(r.children ?? 0),
  }));
}

export interface ItemRow {
  id: number;
  slot: number;
  slotsUsed: number;
  familyId: number | null;
  familyReference: string | null;
  pinned: boolean;
  movedByChair: boolean;
  flags: AgendaFlag[];
  /** Request ids, ascending. */
  requestIds: number[];
}

/** The sitting's stored items in slot order, with their requests. */
export async function findItems(db: Conn, sittingId: number): Promise<ItemRow[]> {
  const items = await db
    .selectFrom('agenda_items as i')
    .leftJoin('families as f', 'f.id', 'i.family_id')
    .select([
      'i.id',
      'i.slot',
      'i.slots_used',
      'i.family_id',
      'f.reference',
      'i.pinned',
      'i.moved_by_chair',
      'i.flags',
    ])
    .where('i.sitting_id', '=', sittingId)
    .orderBy('i.slot')
    .execute();
  const links = await db
    .selectFrom('agenda_item_requests')
    .select(['agenda_item_id', 'request_id'])
    .where('sitting_id', '=', sittingId)
    .orderBy('request_id')
    .execute();
  return items.map((i) => ({
    id: i.id,
    slot: i.slot,
    slotsUsed: i.slots_used,
    familyId: i.family_id,
    familyReference: i.reference,
    pinned: i.pinned,
    movedByChair: i.moved_by_chair,
    flags: i.flags as AgendaFlag[],
    requestIds: links.filter((l) => l.agenda_item_id === i.id).map((l) => l.request_id),
  }));
}

export interface DeferralRow {
  requestId: number;
  reason: DeferralReason;
  note: string | null;
}

export async function findDeferrals(db: Conn, sittingId: number): Promise<DeferralRow[]> {
  const rows = await db
    .selectFrom('agenda_deferrals')
    .select(['request_id', 'reason', 'note'])
    .where('sitting_id', '=', sittingId)
    .orderBy('request_id')
    .execute();
  return rows.map((r) => ({ requestId: r.request_id, reason: r.reason as DeferralReason, note: r.note }));
}

/** References of requests by id (for requests no longer candidates but still on the stored agenda). */
export async function findRequestReferences(db: Conn, ids: number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('requests').select(['id', 'reference']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.reference]));
}

export interface NewItem {
  sittingId: number;
  slotCount: number;
  slot: number;
  slotsUsed: number;
  familyId: number;
  pinned: boolean;
  movedByChair: boolean;
  flags: AgendaFlag[];
}

export async function insertItem(db: Conn, item: NewItem): Promise<number> {
  const row = await db
    .insertInto('agenda_items')
    .values({
      sitting_id: item.sittingId,
      sitting_slot_count: item.slotCount,
      slot: item.slot,
      slots_used: item.slotsUsed,
      family_id: item.familyId,
      pinned: item.pinned,
      moved_by_chair: item.movedByChair,
      flags: item.flags,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function updateItem(
  db: Conn,
  itemId: number,
  patch: Partial<{
    slot: number;
    slotsUsed: number;
    pinned: boolean;
    movedByChair: boolean;
    flags: AgendaFlag[];
  }>,
): Promise<void> {
  await db
    .updateTable('agenda_items')
    .set({
      ...(patch.slot === undefined ? {} : { slot: patch.slot }),
      ...(patch.slotsUsed === undefined ? {} : { slots_used: patch.slotsUsed }),
      ...(patch.pinned === undefined ? {} : { pinned: patch.pinned }),
      ...(patch.movedByChair === undefined ? {} : { moved_by_chair: patch.movedByChair }),
      ...(patch.flags === undefined ? {} : { flags: patch.flags }),
      updated_at: sql`now()`,
    })
    .where('id', '=', itemId)
    .execute();
}

export async function deleteItems(db: Conn, itemIds: number[]): Promise<void> {
  if (itemIds.length > 0) await db.deleteFrom('agenda_items').where('id', 'in', itemIds).execute();
}

export async function linkRequests(
  db: Conn,
  sittingId: number,
  itemId: number,
  requestIds: number[],
): Promise<void> {
  if (requestIds.length === 0) return;
  await db
    .insertInto('agenda_item_requests')
    .values(requestIds.map((request_id) => ({ agenda_item_id: itemId, sitting_id: sittingId, request_id })))
    .execute();
}

export async function unlinkRequests(db: Conn, sittingId: number, requestIds: number[]): Promise<void> {
  if (requestIds.length === 0) return;
  await db
    .deleteFrom('agenda_item_requests')
    .where('sitting_id', '=', sittingId)
    .where('request_id', 'in', requestIds)
    .execute();
}

export async function insertDeferrals(db: Conn, sittingId: number, rows: DeferralRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('agenda_deferrals')
    .values(
      rows.map((r) => ({ sitting_id: sittingId, request_id: r.requestId, reason: r.reason, note: r.note })),
    )
    .execute();
}

export async function deleteDeferrals(db: Conn, sittingId: number, requestIds: number[]): Promise<void> {
  if (requestIds.length === 0) return;
  await db
    .deleteFrom('agenda_deferrals')
    .where('sitting_id', '=', sittingId)
    .where('request_id', 'in', requestIds)
    .execute();
}

/** Sets `status` on the given requests that are currently in `from` (so an allocation is never undone). */
export async function setRequestStatus(db: Conn, ids: number[], from: string, to: string): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable('requests')
    .set({ status: to, updated_at: sql`now()` })
    .where('id', 'in', ids)
    .where('status', '=', from)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Adds `delta` (may be negative; never below 0) to each request's `times_carried_over`. */
export async function adjustCarriedOver(db: Conn, deltas: Map<number, number>): Promise<void> {
  for (const [id, delta] of deltas) {
    if (delta === 0) continue;
    await db
      .updateTable('requests')
      .set({ times_carried_over: sql`greatest(0, times_carried_over + ${delta})`, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }
}

export async function markAgendaBuilt(db: Conn, sittingId: number, at: Date): Promise<void> {
  await db
    .updateTable('sittings')
    .set({ agenda_built_at: at, updated_at: sql`now()` })
    .where('id', '=', sittingId)
    .execute();
}

export async function markPublished(db: Conn, sittingId: number, at: Date): Promise<void> {
  await db
    .updateTable('sittings')
    .set({ status: 'published', published_at: at, updated_at: sql`now()` })
    .where('id', '=', sittingId)
    .execute();
}
