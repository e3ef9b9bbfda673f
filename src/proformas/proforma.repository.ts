import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';
import { requestScope } from '../requests/request.repository.ts';

/*
 * Dates are selected as `::text` ('YYYY-MM-DD' on both engines).
 * The only Kysely code of the proforma form. A proforma is opened either by an emailed link (the
 * SHA-256 of its token matches an unexpired `proforma_links` row) or by a signed-in principal whose
 * scope covers its request.
 */

type Conn = Kysely<Database> | Transaction<Database>;

function viewQuery(db: Conn) {
  return db
    .selectFrom('proformas as p')
    .innerJoin('requests as r', 'r.id', 'p.request_id')
    .innerJoin('sittings as st', 'st.id', 'p.sitting_id')
    .innerJoin('hubs as h', 'h.id', 'st.hub_id')
    .leftJoin('schools as s', 's.id', 'r.school_id')
    .leftJoin('agenda_item_requests as air', (join) =>
      join.onRef('air.request_id', '=', 'r.id').onRef('air.sitting_id', '=', 'p.sitting_id'),
    )
    .leftJoin('agenda_items as ai', 'ai.id', 'air.agenda_item_id')
    .select([
      'p.id',
      'p.status',
      'p.answers',
      'p.deadline_at',
      'p.submitted_at',
      'p.updated_at',
      'r.id as request_id',
      'r.reference',
      'r.school_id',
      'r.consent_given',
      's.name as school_name',
      'h.name as hub_name',
      'h.timezone',
      'st.id as sitting_id',
      sql<string>`st.date::text`.as('date'),
      'st.starts_at',
      'st.slot_minutes',
      'st.slot_count',
      'st.break_after_slot',
      'st.break_minutes',
      'st.status as sitting_status',
      'ai.slot',
      'ai.slots_used',
    ]);
}

export type ProformaViewRow = Awaited<ReturnType<ReturnType<typeof viewQuery>['executeTakeFirstOrThrow']>>;

/** The proforma an unexpired link with this token hash opens, or undefined. Reads only. */
export async function findProformaByLink(db: Conn, tokenHash: string, now: Date) {
  return viewQuery(db)
    .innerJoin('proforma_links as l', 'l.proforma_id', 'p.id')
    .where('l.token_hash', '=', tokenHash)
    .where('l.expires_at', '>', now)
    .executeTakeFirst();
}

/** The proforma if the principal's scope covers its request, else undefined (same as missing). */
export async function findProformaForPrincipal(db: Conn, principal: Actor, proformaId: number) {
  return viewQuery(db).where('p.id', '=', proformaId).where(requestScope(principal)).executeTakeFirst();
}

/** Proformas within the principal's scope, soonest sitting first; `openOnly`: not yet submitted, sitting ahead. */
export async function listProformasForPrincipal(
  db: Conn,
  principal: Actor,
  options: { openOnly: boolean; limit: number },
) {
  let q = viewQuery(db).where(requestScope(principal));
  if (options.openOnly)
    q = q.where('p.status', '<>', 'submitted').where('st.status', 'in', ['planned', 'published']);
  return q.orderBy('st.date').orderBy('p.id').limit(options.limit).execute();
}

/** Saves answers as a draft unless already submitted; returns false when it was submitted. */
export async function saveDraftAnswers(db: Conn, id: number, answers: unknown, now: Date): Promise<boolean> {
  const row = await db
    .updateTable('proformas')
    .set({ answers: JSON.stringify(answers), status: 'draft', updated_at: now })
    .where('id', '=', id)
    .where('status', '<>', 'submitted')
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Marks the proforma submitted with its answers, once; returns false when it already was. */
export async function submitAnswers(
  db: Conn,
  id: number,
  answers: unknown,
  now: Date,
  submittedBy: string,
): Promise<boolean> {
  const row = await db
    .updateTable('proformas')
    .set({
      answers: JSON.stringify(answers),
      status: 'submitted',
      submitted_at: now,
      submitted_by: submittedBy,
      updated_at: now,
    })
    .where('id', '=', id)
    .where('status', '<>', 'submitted')
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Records consent on a request that has none yet; returns whether it changed anything. */
export async function recordConsent(
  db: Conn,
  requestId: number,
  consent: { at: Date; by: string; now: Date },
): Promise<boolean> {
  const row = await db
    .updateTable('requests')
    .set({
      consent_given: true,
      consent_recorded_at: consent.at,
      consent_recorded_by: consent.by,
      updated_at: consent.now,
    })
    .where('id', '=', requestId)
    .where('consent_given', '=', false)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Sets (or clears, with nulls) the request's attendance window (HH:MM local). */
export async function setAttendanceWindow(
  db: Conn,
  requestId: number,
  window: { from: string; to: string } | null,
  now: Date,
): Promise<{ from: string | null; to: string | null }> {
  const before = await db
    .selectFrom('requests')
    .select(['attendance_from', 'attendance_to'])
    .where('id', '=', requestId)
    .executeTakeFirstOrThrow();
  await db
    .updateTable('requests')
    .set({ attendance_from: window?.from ?? null, attendance_to: window?.to ?? null, updated_at: now })
    .where('id', '=', requestId)
    .execute();
  return { from: before.attendance_from, to: before.attendance_to };
}

/** Locks the proforma row for the rest of the transaction (a double submit waits, then finds it submitted). */
export async function lockProforma(db: Conn, id: number): Promise<void> {
  await sql`select 1 from proformas where id = ${id} for update`.execute(db);
}
