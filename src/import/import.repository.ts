import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';
import { insertRequestRows } from '../requests/new-request.repository.ts';
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

/** A school row's columns; the admin's school form writes the same. */
export function schoolValues(row: SchoolRow) {
  return {
    urn: row.URN,
    name: row.EstablishmentName,
    locality: row.Locality,
    phase: row.PhaseOfEducation ?? null,
    postcode: row.Postcode ?? null,
    safeguarding_lead_emails: row.SafeguardingLeadEmails,
  };
}

/** Inserts or updates a school by its URN (re-importing a GIAS extract refreshes names). Returns its id. */
export async function upsertSchool(db: Conn, row: SchoolRow): Promise<number> {
  const values = schoolValues(row);
  const { id } = await db
    .insertInto('schools')
    .values(values)
    .onConflict((oc) => oc.column('urn').doUpdateSet(values))
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/**
 * An agency row's columns, `active_cases` aside (live data, kept by allocations); the admin's agency
 * form writes the same.
 */
export function agencyValues(row: AgencyRow, schoolId: number | null) {
  return {
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
}

/**
 * Inserts or updates an agency by name. `active_cases` is live data kept by allocations, so an
 * import sets it only for a new agency.
 */
export async function upsertAgency(db: Conn, row: AgencyRow, schoolId: number | null): Promise<number> {
  const values = agencyValues(row, schoolId);
  const { id } = await db
    .insertInto('agencies')
    .values({ ...values, active_cases: row.ActiveCases })
    .onConflict((oc) => oc.column('name').doUpdateSet({ ...values, updated_at: new Date() }))
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** Inserts one request with its children and needs, under its own reference. Returns the request id. */
export function insertRequest(
  db: Conn,
  row: RequestRow,
  ids: { hubId: number; familyId: number; schoolId: number | null },
): Promise<number> {
  return insertRequestRows(
    db,
    {
      ...ids,
      kind: row.Kind,
      urgency: row.Urgency,
      complex: row.Complex,
      consentGiven: row.ConsentGiven,
      consentRecordedAt: row.ConsentRecordedAt ?? null,
      consentRecordedBy: row.ConsentRecordedBy ?? null,
      referrerName: row.ReferrerName,
      referrerOrganisation: row.ReferrerOrganisation,
      referrerEmail: row.ReferrerEmail ?? null,
      receivedAt: row.ReceivedAt,
      reviewDueAt: row.ReviewDueAt ?? null,
      externalReference: row.ExternalReference ?? null,
      childDatesOfBirth: row.ChildDatesOfBirth,
      needs: row.Needs,
    },
    row.Reference,
  );
}
