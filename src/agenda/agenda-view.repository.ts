import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { AgendaFlag, DeferralReason, RequestKind, Urgency } from '../domain/agenda.ts';
import { type Conn, type SittingRow, sittingQuery, toSittingRow } from './agenda.repository.ts';

/*
 * The reads behind a stored agenda's view (printed agenda, CSV, invites, the review page and the API).
 * Set-based: one statement returns the sitting with its items, their requests and the deferrals,
 * each request joined with what the view shows of it, so a whole agenda is read in one round trip
 * whatever its size. References and schools only: never a child's name, date of birth or address.
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

export interface AgendaViewRows {
  sitting: SittingRow;
  /** Items in slot order. */
  items: ViewItemRow[];
  /** Each request on the agenda with its item, ascending by request id. */
  links: Array<{ itemId: number; request: RequestDetailRow }>;
  /** Deferrals ascending by request id. */
  deferrals: Array<{ reason: DeferralReason; note: string | null; request: RequestDetailRow }>;
}

/**
 * A sitting with its stored agenda (items, their requests, deferrals), or null when there is no such
 * sitting: one statement (the lists as JSON arrays), so one round trip and one snapshot.
 */
export async function findAgendaViewRows(db: Conn, sittingId: number): Promise<AgendaViewRows | null> {
  const row = await sittingQuery(db)
    .select((eb) => [
      jsonArrayFrom(
        eb
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
          .whereRef('i.sitting_id', '=', 's.id')
          .orderBy('i.slot'),
      ).as('items'),
      jsonArrayFrom(
        eb
          .selectFrom('agenda_item_requests as air')
          .innerJoin('requests as r', 'r.id', 'air.request_id')
          .innerJoin('families as f', 'f.id', 'r.family_id')
          .leftJoin('schools as sc', 'sc.id', 'r.school_id')
          .select(['air.agenda_item_id as itemId', ...detailColumns])
          .whereRef('air.sitting_id', '=', 's.id')
          .orderBy('air.request_id'),
      ).as('links'),
      jsonArrayFrom(
        eb
          .selectFrom('agenda_deferrals as d')
          .innerJoin('requests as r', 'r.id', 'd.request_id')
          .innerJoin('families as f', 'f.id', 'r.family_id')
          .leftJoin('schools as sc', 'sc.id', 'r.school_id')
          .select(['d.reason', 'd.note', ...detailColumns])
          .whereRef('d.sitting_id', '=', 's.id')
          .orderBy('d.request_id'),
      ).as('deferrals'),
    ])
    .where('s.id', '=', sittingId)
    .executeTakeFirst();
  if (!row) return null;
  // JSON arrays keep their subquery's order in PostgreSQL; sorted again so nothing rests on that.
  const items = row.items
    .map((i) => ({ ...i, flags: i.flags as AgendaFlag[] }))
    .sort((a, b) => a.slot - b.slot);
  const links = row.links
    .map((l) => ({ itemId: l.itemId, request: toDetail(l) }))
    .sort((a, b) => a.request.id - b.request.id);
  const deferrals = row.deferrals
    .map((d) => ({ reason: d.reason as DeferralReason, note: d.note, request: toDetail(d) }))
    .sort((a, b) => a.request.id - b.request.id);
  return { sitting: toSittingRow(row), items, links, deferrals };
}

const detailColumns = [
  'r.id',
  'r.reference',
  'r.kind',
  'r.urgency',
  'f.reference as familyReference',
  'sc.name as schoolName',
  'sc.urn as schoolUrn',
  'sc.safeguarding_lead_emails as schoolEmails',
  'r.attendance_from as attendanceFrom',
  'r.attendance_to as attendanceTo',
] as const;

function toDetail(r: {
  id: number;
  reference: string;
  kind: string;
  urgency: string;
  familyReference: string;
  schoolName: string | null;
  schoolUrn: number | null;
  schoolEmails: string[] | null;
  attendanceFrom: string | null;
  attendanceTo: string | null;
}): RequestDetailRow {
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
