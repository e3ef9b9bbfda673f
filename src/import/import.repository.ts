import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';
import type { AgencyRow, RequestRow, SchoolRow } from './rows.ts';

type Conn = Kysely<Database> | Transaction<Database>;

/** Everything the reference checks need, loaded once per import. */
export interface ImportLookups {
  localities: Set<string>;
  needs: Set<string>;
  schoolIdByUrn: Map<number, number>;
  hubIdByName: Map<string, number>;
  familyByReference: Map<string, { id: number; locality: string }>;
  requestReferences: Set<string>;
  externalReferences: Set<string>;
}

export async function loadLookups(db: Conn): Promise<ImportLookups> {
  const [localities, needs, schools, hubs, families, requests] = await Promise.all([
    db.selectFrom('localities').select('code').execute(),
    db.selectFrom('needs').select('code').execute(),
    db.selectFrom('schools').select(['id', 'urn']).execute(),
    db.selectFrom('hubs').select(['id', 'name']).execute(),
    db.selectFrom('families').select(['id', 'reference', 'locality']).execute(),
    db.selectFrom('requests').select(['reference', 'external_reference']).execute(),
  ]);
  return {
    localities: new Set(localities.map((l) => l.code)),
    needs: new Set(needs.map((n) => n.code)),
    schoolIdByUrn: new Map(schools.map((s) => [s.urn, s.id])),
    hubIdByName: new Map(hubs.map((h) => [h.name.toLowerCase(), h.id])),
    familyByReference: new Map(families.map((f) => [f.reference, { id: f.id, locality: f.locality }])),
    requestReferences: new Set(requests.map((r) => r.reference)),
    externalReferences: new Set(
      requests.flatMap((r) => (r.external_reference ? [r.external_reference] : [])),
    ),
  };
}

export async function insertLocalities(db: Conn, codes: string[]): Promise<void> {
  if (codes.length === 0) return;
  await db
    .insertInto('localities')
    .values(
      codes.map((code) => ({
        code,
        name: code.replace(/(^|-)([a-z])/g, (_m, d, c) => `${d ? ' ' : ''}${c.toUpperCase()}`),
      })),
    )
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
}

/** Inserts or updates a school by its URN (re-importing a GIAS extract refreshes names). Returns its id. */
export async function upsertSchool(db: Conn, row: SchoolRow): Promise<number> {
  const values = {
    urn: row.URN,
    name: row.EstablishmentName,
    locality: row.Locality,
    phase: row.PhaseOfEducation ?? null,
    postcode: row.Postcode ?? null,
    safeguarding_lead_emails: row.SafeguardingLeadEmails,
  };
  const { id } = await db
    .insertInto('schools')
    .values(values)
    .onConflict((oc) => oc.column('urn').doUpdateSet(values))
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/**
 * Inserts or updates an agency by name. `active_cases` is live data kept by allocations, so an
 * import sets it only for a new agency.
 */
export async function upsertAgency(db: Conn, row: AgencyRow, schoolId: number | null): Promise<number> {
  const values = {
    name: row.Name,
    kind: row.Kind,
    school_id: schoolId,
    specialisms: row.Specialisms,
    localities: row.Localities,
    city_wide: row.CityWide,
    min_age: row.MinAge,
    max_age: row.MaxAge,
    capacity: row.Capacity,
    contact_email: row.ContactEmail,
  };
  const { id } = await db
    .insertInto('agencies')
    .values({ ...values, active_cases: row.ActiveCases })
    .onConflict((oc) => oc.column('name').doUpdateSet({ ...values, updated_at: new Date() }))
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function insertFamily(db: Conn, reference: string, locality: string): Promise<number> {
  const { id } = await db
    .insertInto('families')
    .values({ reference, locality })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** Inserts one request with its children and needs. Returns the request id. */
export async function insertRequest(
  db: Conn,
  row: RequestRow,
  ids: { hubId: number; familyId: number; schoolId: number | null },
): Promise<number> {
  const children = await db
    .insertInto('children')
    .values(
      row.ChildDatesOfBirth.map((dob) => ({
        family_id: ids.familyId,
        school_id: ids.schoolId,
        date_of_birth: dob,
      })),
    )
    .returning('id')
    .execute();
  const { id } = await db
    .insertInto('requests')
    .values({
      reference: row.Reference,
      hub_id: ids.hubId,
      kind: row.Kind,
      family_id: ids.familyId,
      school_id: ids.schoolId,
      referrer_name: row.ReferrerName,
      referrer_email: row.ReferrerEmail ?? null,
      referrer_organisation: row.ReferrerOrganisation,
      received_at: row.ReceivedAt,
      urgency: row.Urgency,
      complex: row.Complex,
      consent_given: row.ConsentGiven,
      consent_recorded_at: row.ConsentRecordedAt ?? null,
      consent_recorded_by: row.ConsentRecordedBy ?? null,
      review_due_at: row.ReviewDueAt ?? null,
      external_reference: row.ExternalReference ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('request_children')
    .values(children.map((c) => ({ request_id: id, child_id: c.id })))
    .execute();
  await db
    .insertInto('request_needs')
    .values(row.Needs.map((n) => ({ request_id: id, need_code: n.code, severity: n.severity })))
    .execute();
  return id;
}
