import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';

/*
 * Writing a new request: what the front door checks its input against, the family, and the request
 * with its children and needs (the import writes its rows through the same insert).
 */

type Conn = Kysely<Database> | Transaction<Database>;

/** Ids and lookups the front door's input refers to, for validation before any write. */
export async function findReferences(
  db: Conn,
  input: {
    hubId: number;
    schoolUrn?: number;
    needCodes: string[];
    locality: string;
    familyReference: string;
    externalReference?: string;
  },
) {
  const [hub, school, needs, locality, family, external] = await Promise.all([
    db.selectFrom('hubs').select(['id', 'timezone']).where('id', '=', input.hubId).executeTakeFirst(),
    input.schoolUrn === undefined
      ? Promise.resolve(undefined)
      : db.selectFrom('schools').select('id').where('urn', '=', input.schoolUrn).executeTakeFirst(),
    input.needCodes.length === 0
      ? Promise.resolve([])
      : db.selectFrom('needs').select('code').where('code', 'in', input.needCodes).execute(),
    db.selectFrom('localities').select('code').where('code', '=', input.locality).executeTakeFirst(),
    db
      .selectFrom('families')
      .select(['id', 'locality'])
      .where('reference', '=', input.familyReference)
      .executeTakeFirst(),
    input.externalReference === undefined
      ? Promise.resolve(undefined)
      : db
          .selectFrom('requests')
          .select('reference')
          .where('external_reference', '=', input.externalReference)
          .executeTakeFirst(),
  ]);
  return {
    hub: hub ?? null,
    schoolId: school?.id ?? null,
    needCodes: new Set(needs.map((n) => n.code)),
    localityExists: locality !== undefined,
    family: family ?? null,
    externalReferenceUsedBy: external?.reference ?? null,
  };
}

export async function insertFamily(db: Conn, reference: string, locality: string): Promise<number> {
  const { id } = await db
    .insertInto('families')
    .values({ reference, locality })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export interface NewRequest {
  hubId: number;
  familyId: number;
  schoolId: number | null;
  kind: 'new' | 'review';
  urgency: string;
  complex: boolean;
  consentGiven: boolean;
  consentRecordedAt: string | null;
  consentRecordedBy: string | null;
  referrerName: string;
  referrerOrganisation: string;
  referrerEmail: string | null;
  receivedAt: string;
  reviewDueAt: string | null;
  externalReference: string | null;
  childDatesOfBirth: string[];
  needs: { code: string; severity: number }[];
}

/**
 * Inserts a request under `reference` with its children (new rows of its family) and its needs.
 * Returns its id. The front door and the import both write requests through it.
 */
export async function insertRequestRows(db: Conn, row: NewRequest, reference: string): Promise<number> {
  const children = await db
    .insertInto('children')
    .values(
      row.childDatesOfBirth.map((dob) => ({
        family_id: row.familyId,
        school_id: row.schoolId,
        date_of_birth: dob,
      })),
    )
    .returning('id')
    .execute();
  const { id } = await db
    .insertInto('requests')
    .values({
      reference,
      hub_id: row.hubId,
      kind: row.kind,
      family_id: row.familyId,
      school_id: row.schoolId,
      referrer_name: row.referrerName,
      referrer_email: row.referrerEmail,
      referrer_organisation: row.referrerOrganisation,
      received_at: row.receivedAt,
      urgency: row.urgency,
      complex: row.complex,
      consent_given: row.consentGiven,
      consent_recorded_at: row.consentRecordedAt,
      consent_recorded_by: row.consentRecordedBy,
      review_due_at: row.reviewDueAt,
      external_reference: row.externalReference,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('request_children')
    .values(children.map((c) => ({ request_id: id, child_id: c.id })))
    .execute();
  await db
    .insertInto('request_needs')
    .values(row.needs.map((n) => ({ request_id: id, need_code: n.code, severity: n.severity })))
    .execute();
  return id;
}

/**
 * Inserts a request from the front door with its children and needs. Its reference is
 * `<prefix><id, 5 digits>` (e.g. EH-2027-00123), known only once the identity is drawn: a
 * placeholder is replaced.
 */
export async function insertRequest(
  db: Conn,
  row: NewRequest,
  referencePrefix: string,
  placeholder: string,
): Promise<{ id: number; reference: string }> {
  const id = await insertRequestRows(db, row, placeholder);
  const reference = `${referencePrefix}${String(id).padStart(5, '0')}`;
  await db.updateTable('requests').set({ reference }).where('id', '=', id).execute();
  return { id, reference };
}
