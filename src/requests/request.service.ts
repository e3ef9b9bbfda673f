import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';
import { localSlotSpan } from '../agenda/local-slot-times.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import { AppError, type FieldIssue } from '../errors.ts';
import { parseOrThrow } from '../validation.ts';
import { findReferences, insertFamily, insertRequest } from './new-request.repository.ts';
import * as repo from './request.repository.ts';
import {
  type CreateRequestInput,
  createRequestInput,
  type ListRequestsQuery,
  type RequestDetail,
  type RequestPage,
  type RequestSummary,
} from './request.schemas.ts';

type Db = Kysely<Database>;

/** An opaque keyset cursor: base64url of `[receivedAt ISO, id]`. */
export function encodeCursor(receivedAt: Date, id: number): string {
  return Buffer.from(JSON.stringify([receivedAt.toISOString(), id])).toString('base64url');
}

export function decodeCursor(cursor: string): { receivedAt: Date; id: number } {
  try {
    const [iso, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    const receivedAt = new Date(String(iso));
    if (Number.isInteger(id) && !Number.isNaN(receivedAt.getTime())) return { receivedAt, id: id as number };
  } catch {
    // fall through: any malformed cursor gets the same answer
  }
  throw new AppError('invalid-input', 'The cursor is not one this service gave out', {
    issues: [{ field: 'cursor', message: 'is not a cursor from a previous page; start again without it' }],
  });
}

function placementOf(p: repo.PlacementRow | undefined): RequestSummary['placement'] {
  if (p === undefined) return null;
  const span = localSlotSpan(
    {
      startsAt: p.starts_at.toISOString(),
      slotMinutes: p.slot_minutes,
      slots: p.slot_count,
      breakAfterSlot: p.break_after_slot,
      breakMinutes: p.break_minutes,
      timezone: p.timezone,
    },
    p.slot,
    p.slots_used,
  );
  if (span === null) return null;
  return {
    sittingId: p.sitting_id,
    date: p.date,
    slot: p.slot,
    startsAt: span.startsAt,
    endsAt: span.endsAt,
    sittingStatus: p.status,
  };
}

function toSummary(r: repo.SummaryRow, placement: repo.PlacementRow | undefined): RequestSummary {
  return {
    id: r.id,
    reference: r.reference,
    hubId: r.hub_id,
    kind: r.kind as RequestSummary['kind'],
    status: r.status as RequestSummary['status'],
    urgency: r.urgency as RequestSummary['urgency'],
    complex: r.complex,
    receivedAt: r.received_at.toISOString(),
    familyReference: r.family_reference,
    school:
      r.school_id === null
        ? null
        : { id: r.school_id, urn: r.school_urn as number, name: r.school_name as string },
    childCount: r.child_count,
    consentGiven: r.consent_given,
    timesCarriedOver: r.times_carried_over,
    placement: placementOf(placement),
  };
}

/**
 * A page of the requests the principal may see, newest first, with each one's latest agenda
 * placement. `cursor` comes from the previous page's `nextCursor`.
 */
export async function listRequests(
  db: Db,
  principal: Actor,
  query: Partial<ListRequestsQuery> & { schoolId?: number },
): Promise<RequestPage> {
  const limit = query.limit ?? 25;
  const rows = await repo.listRequestRows(db, principal, {
    after: query.cursor === undefined ? null : decodeCursor(query.cursor),
    limit: limit + 1,
    ...(query.status === undefined ? {} : { status: query.status }),
    ...(query.hubId === undefined ? {} : { hubId: query.hubId }),
    ...(query.schoolId === undefined ? {} : { schoolId: query.schoolId }),
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((r) => toSummary(r, r.placement ?? undefined)),
    nextCursor: rows.length > limit && last ? encodeCursor(last.received_at, last.id) : null,
  };
}

/** One request the principal may see; not-found when it does not exist or is not theirs (same answer). */
export async function getRequest(db: Db, principal: Actor, id: number): Promise<RequestDetail> {
  const row = Number.isSafeInteger(id) ? await repo.findRequestRow(db, principal, id) : undefined;
  if (row === undefined) throw new AppError('not-found', `There is no request ${id} that you can see`);
  const [placements, children, needs, allocation, proforma] = await Promise.all([
    repo.findPlacements(db, [id]),
    repo.findChildren(db, id),
    repo.findNeeds(db, id),
    repo.findAllocation(db, id),
    repo.findLatestProforma(db, id),
  ]);
  return {
    ...toSummary(row, placements[0]),
    externalReference: row.external_reference,
    reviewDueAt: row.review_due_at?.toISOString() ?? null,
    children: children.map((c) => ({ dateOfBirth: c.date_of_birth })),
    needs: needs.map((n) => ({ code: n.need_code, label: n.label, severity: n.severity })),
    consent: {
      given: row.consent_given,
      recordedAt: row.consent_recorded_at?.toISOString() ?? null,
      recordedBy: row.consent_recorded_by,
    },
    referrer: { name: row.referrer_name, organisation: row.referrer_organisation, email: row.referrer_email },
    attendanceWindow:
      row.attendance_from !== null && row.attendance_to !== null
        ? { from: row.attendance_from, to: row.attendance_to }
        : null,
    allocation: allocation
      ? {
          agencyId: allocation.agency_id,
          agencyName: allocation.name,
          decision: allocation.decision,
          decidedAt: allocation.decided_at.toISOString(),
          reviewDueOn: allocation.review_due_on,
          closedAt: allocation.closed_at?.toISOString() ?? null,
        }
      : null,
    proforma: proforma
      ? {
          id: proforma.id,
          status: proforma.status,
          deadlineAt: proforma.deadline_at.toISOString(),
          submittedAt: proforma.submitted_at?.toISOString() ?? null,
        }
      : null,
  };
}

/** Who may create requests: the front door (an admin token), coordinators, and the system itself. */
export function mayCreateRequests(principal: Actor): boolean {
  return principal.kind === 'system' || principal.role === 'admin' || principal.role === 'coordinator';
}

/**
 * Creates a request from the front door: validates every field (naming each bad one), checks what
 * it refers to (hub, school URN, need codes, locality, the family's recorded locality), then writes
 * the family (found or created by reference), children, needs, request and its audit entry in one
 * transaction. Nothing is written on error. Throws invalid-input, forbidden, or conflict (external
 * reference already used). Joins `db`'s transaction when it is one.
 */
export async function createRequest(
  db: Db,
  principal: Actor,
  input: CreateRequestInput | unknown,
  options: { now: Date },
): Promise<RequestDetail> {
  if (!mayCreateRequests(principal))
    throw new AppError('forbidden', 'Only the front door and coordinators create requests');
  const v = parseOrThrow(createRequestInput, input, 'request');
  const today = DateTime.fromJSDate(options.now, { zone: 'UTC' }).toISODate() as string;
  const issues: FieldIssue[] = [];
  v.children.forEach((c, i) => {
    if (c.dateOfBirth > today)
      issues.push({ field: `children.${i}.dateOfBirth`, message: 'must not be in the future' });
    if (c.dateOfBirth < '1995-01-01')
      issues.push({ field: `children.${i}.dateOfBirth`, message: 'must be 1995-01-01 or later' });
  });
  // Join the caller's transaction when there is one (the API stores its idempotency key in it).
  const inTransaction = <T>(work: (trx: Db) => Promise<T>) =>
    db.isTransaction ? work(db) : db.transaction().execute(work);
  const id = await inTransaction(async (trx) => {
    const refs = await findReferences(trx, {
      hubId: v.hubId,
      ...(v.schoolUrn === undefined ? {} : { schoolUrn: v.schoolUrn }),
      needCodes: v.needs.map((n) => n.code),
      locality: v.family.locality,
      familyReference: v.family.reference,
      ...(v.externalReference === undefined ? {} : { externalReference: v.externalReference }),
    });
    if (refs.hub === null) issues.push({ field: 'hubId', message: `there is no hub ${v.hubId}` });
    if (v.schoolUrn !== undefined && refs.schoolId === null)
      issues.push({ field: 'schoolUrn', message: `there is no school with URN ${v.schoolUrn}` });
    v.needs.forEach((n, i) => {
      if (!refs.needCodes.has(n.code))
        issues.push({ field: `needs.${i}.code`, message: `"${n.code}" is not a need in the taxonomy` });
    });
    if (!refs.localityExists)
      issues.push({ field: 'family.locality', message: `"${v.family.locality}" is not a known locality` });
    else if (refs.family !== null && refs.family.locality !== v.family.locality)
      issues.push({
        field: 'family.locality',
        message: `family ${v.family.reference} is recorded in ${refs.family.locality}`,
      });
    if (issues.length > 0) {
      throw new AppError(
        'invalid-input',
        `Invalid request:\n${issues.map((i) => `  - ${i.field}: ${i.message}`).join('\n')}`,
        {
          issues,
        },
      );
    }
    if (refs.externalReferenceUsedBy !== null) {
      throw new AppError(
        'conflict',
        `External reference ${v.externalReference} is already request ${refs.externalReferenceUsedBy}`,
        {
          issues: [
            {
              field: 'externalReference',
              message: `is already used by request ${refs.externalReferenceUsedBy}`,
            },
          ],
        },
      );
    }
    const familyId = refs.family?.id ?? (await insertFamily(trx, v.family.reference, v.family.locality));
    const receivedAt = v.receivedAt ?? options.now.toISOString();
    const year = DateTime.fromISO(receivedAt, { zone: refs.hub?.timezone ?? 'Europe/London' }).year;
    const created = await insertRequest(
      trx,
      {
        hubId: v.hubId,
        familyId,
        schoolId: refs.schoolId,
        kind: v.kind,
        urgency: v.urgency,
        complex: v.complex,
        consentGiven: v.consent.given,
        consentRecordedAt: v.consent.recordedAt ?? null,
        consentRecordedBy: v.consent.recordedBy ?? null,
        referrerName: v.referrer.name,
        referrerOrganisation: v.referrer.organisation,
        referrerEmail: v.referrer.email ?? null,
        receivedAt,
        reviewDueAt: v.reviewDueAt ?? null,
        externalReference: v.externalReference ?? null,
        childDatesOfBirth: v.children.map((c) => c.dateOfBirth),
        needs: v.needs,
      },
      `EH-${year}-`,
      `NEW-${randomBytes(8).toString('hex').toUpperCase()}`,
    );
    // Ids and codes only: never a child's date of birth in the audit log.
    await writeAudit(trx, principal, {
      action: 'request.created',
      entity: 'request',
      entityId: created.id,
      details: {
        reference: created.reference,
        hubId: v.hubId,
        kind: v.kind,
        needs: v.needs.map((n) => n.code),
        children: v.children.length,
        externalReference: v.externalReference ?? null,
      },
    });
    return created.id;
  });
  return getRequest(db, { kind: 'system', name: 'web' }, id);
}
