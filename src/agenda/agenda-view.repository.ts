import type { AgendaFlag, DeferralReason, RequestKind, Urgency } from '../domain/agenda.ts';
import type { Conn } from './agenda.repository.ts';

/*
 * The reads behind a stored agenda's view (printed agenda, CSV, invites, the review page and the API).
 * Set-based: each query returns its rows joined with what the view shows of each request, so a whole
 * agenda is read in one round trip of parallel queries whatever its size. References and schools
 * only: never a child's name, date of birth or address.
 */

export interface RequestDetailRow {
  id: number;
  reference: string;
  kind: RequestKind;
  urgency: Urgency;
  familyReference: string;
  schoolName: string | null;
  schoolUrn: number | null;
  schoolEmails: string[];
  attendanceFrom: string | null;
  attendanceTo: string | null;
}

export interface ViewItemRow {
  id: number;
  slot: number;
  slotsUsed: number;
  familyReference: string | null;
  pinned: boolean;
  movedByChair: boolean;
  flags: AgendaFlag[];
}

/** The sitting's stored items in slot order (their requests come from `findViewLinks`). */
export async function findViewItems(db: Conn, sittingId: number): Promise<ViewItemRow[]> {
  const rows = await db
    .selectFrom('agenda_items as i')
    .leftJoin('families as f', 'f.id', 'i.family_id')
    .select([
      'i.id',
      'i.slot',
      'i.slots_used as slotsUsed',
      'f.reference as familyReference',
      'i.pinned',
      'i.moved_by_chair as movedByChair',
      'i.flags',
    ])
    .where('i.sitting_id', '=', sittingId)
    .orderBy('i.slot')
    .execute();
  return rows.map((r) => ({ ...r, flags: r.flags as AgendaFlag[] }));
}

function detailColumns() {
  return [
    'r.id',
    'r.reference',
    'r.kind',
    'r.urgency',
    'f.reference as familyReference',
    's.name as schoolName',
    's.urn as schoolUrn',
    's.safeguarding_lead_emails as schoolEmails',
    'r.attendance_from as attendanceFrom',
    'r.attendance_to as attendanceTo',
  ] as const;
}

function toDetail<
  R extends { kind: string; urgency: string; schoolEmails: string[] | null } & Omit<
    RequestDetailRow,
    'kind' | 'urgency' | 'schoolEmails'
  >,
>(r: R): RequestDetailRow {
  return {
    id: r.id,
    reference: r.reference,
    kind: r.kind as RequestKind,
    urgency: r.urgency as Urgency,
    familyReference: r.familyReference,
    schoolName: r.schoolName,
    schoolUrn: r.schoolUrn,
    schoolEmails: r.schoolEmails ?? [],
    attendanceFrom: r.attendanceFrom,
    attendanceTo: r.attendanceTo,
  };
}

/** Each request on the sitting's agenda with its item, ascending by request id. */
export async function findViewLinks(
  db: Conn,
  sittingId: number,
): Promise<Array<{ itemId: number; request: RequestDetailRow }>> {
  const rows = await db
    .selectFrom('agenda_item_requests as air')
    .innerJoin('requests as r', 'r.id', 'air.request_id')
    .innerJoin('families as f', 'f.id', 'r.family_id')
    .leftJoin('schools as s', 's.id', 'r.school_id')
    .select(['air.agenda_item_id as itemId', ...detailColumns()])
    .where('air.sitting_id', '=', sittingId)
    .orderBy('air.request_id')
    .execute();
  return rows.map((r) => ({ itemId: r.itemId, request: toDetail(r) }));
}

/** The sitting's deferrals with their requests, ascending by request id. */
export async function findViewDeferrals(
  db: Conn,
  sittingId: number,
): Promise<Array<{ reason: DeferralReason; note: string | null; request: RequestDetailRow }>> {
  const rows = await db
    .selectFrom('agenda_deferrals as d')
    .innerJoin('requests as r', 'r.id', 'd.request_id')
    .innerJoin('families as f', 'f.id', 'r.family_id')
    .leftJoin('schools as s', 's.id', 'r.school_id')
    .select(['d.reason', 'd.note', ...detailColumns()])
    .where('d.sitting_id', '=', sittingId)
    .orderBy('d.request_id')
    .execute();
  return rows.map((r) => ({ reason: r.reason as DeferralReason, note: r.note, request: toDetail(r) }));
}
