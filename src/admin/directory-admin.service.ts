import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import { AppError, type FieldIssue } from '../errors.ts';
import { code, optionalText, requiredText } from '../import/fields.ts';
import { type AgencyRow, agencyRow, normaliseColumns, type SchoolRow, schoolRow } from '../import/rows.ts';
import { parseOrThrow } from '../validation.ts';
import { mapRefusal } from './constraint-errors.ts';
import {
  type AgencyView,
  getAgencyView,
  getNeedView,
  getSchoolView,
  insertAgency,
  insertNeed,
  insertSchool,
  type NeedView,
  referenceCodes,
  type SchoolView,
  schoolIdsByUrn,
  updateAgency,
  updateNeed,
  updateSchool,
} from './directory-admin.repository.ts';

/*
 * Schools, agencies and the need taxonomy, created and edited one at a time by an admin (page or
 * API). Rows are validated by the import's own row schemas (src/import/rows.ts), so a form, the API
 * and a CSV import accept exactly the same values; the database's constraints have the last word
 * and a refusal names its field. Each change is audited in its own transaction.
 */

type Db = Kysely<Database>;

/** The fields an edit changed (names only: values may be addresses of people). */
function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return Object.keys(after).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

const schoolRefusals: Record<string, FieldIssue> = {
  schools_urn_key: { field: 'URN', message: 'is already the URN of another school' },
  schools_locality_fkey: { field: 'Locality', message: 'is not one of the council’s localities' },
};

/** The import row of a stored school (the inverse of the repository's mapping). */
export function schoolAsRow(s: SchoolView): z.input<typeof schoolRow> {
  return {
    URN: s.urn,
    EstablishmentName: s.name,
    Locality: s.locality,
    PhaseOfEducation: s.phase ?? undefined,
    Postcode: s.postcode ?? undefined,
    SafeguardingLeadEmails: s.safeguardingLeadEmails,
  };
}

/** Creates a school from an import-style row; returns its id. */
export async function createSchool(db: Db, actor: Actor, input: unknown): Promise<number> {
  const row: SchoolRow = parseOrThrow(schoolRow, normaliseColumns(asRecord(input)), 'school');
  return mapRefusal(
    () =>
      db.transaction().execute(async (trx) => {
        const id = await insertSchool(trx, row);
        await writeAudit(trx, actor, {
          action: 'school.created',
          entity: 'school',
          entityId: id,
          details: { urn: row.URN },
        });
        return id;
      }),
    schoolRefusals,
    'school',
  );
}

/**
 * Changes a school. `merge` (PATCH): fields absent from `input` keep their values; `replace` (a
 * form, which posts every field): absent means empty, exactly as an empty CSV cell.
 */
export async function updateSchoolById(
  db: Db,
  actor: Actor,
  id: number,
  input: unknown,
  mode: 'merge' | 'replace' = 'merge',
): Promise<void> {
  await mapRefusal(
    () =>
      db.transaction().execute(async (trx) => {
        const current = await getSchoolView(trx, id, true);
        if (current === null) throw new AppError('not-found', `There is no school ${id}.`);
        const before = schoolAsRow(current);
        const row: SchoolRow = parseOrThrow(
          schoolRow,
          { ...(mode === 'merge' ? before : {}), ...definedOnly(normaliseColumns(asRecord(input))) },
          'school',
        );
        const changed = changedKeys(before, schoolAsRow({ ...current, ...fromSchoolRow(row) }));
        if (changed.length === 0) return;
        await updateSchool(trx, id, row);
        await writeAudit(trx, actor, {
          action: 'school.updated',
          entity: 'school',
          entityId: id,
          details: { urn: row.URN, changed },
        });
      }),
    schoolRefusals,
    'school',
  );
}

function fromSchoolRow(row: SchoolRow): Omit<SchoolView, 'id'> {
  return {
    urn: row.URN,
    name: row.EstablishmentName,
    locality: row.Locality,
    phase: row.PhaseOfEducation ?? null,
    postcode: row.Postcode ?? null,
    safeguardingLeadEmails: row.SafeguardingLeadEmails,
  };
}

const agencyRefusals: Record<string, FieldIssue> = {
  agencies_name_key: { field: 'Name', message: 'is already the name of another agency' },
  agencies_check1: { field: 'Capacity', message: 'must not be below the agency’s active cases' },
  agencies_check2: { field: 'SchoolURN', message: 'is required when Kind is school' },
  agencies_check3: { field: 'Localities', message: 'must name at least one locality unless CityWide is yes' },
  agencies_school_id_fkey: { field: 'SchoolURN', message: 'is not a school' },
};

/** The import row of a stored agency. */
export function agencyAsRow(a: AgencyView): z.input<typeof agencyRow> {
  return {
    Name: a.name,
    Kind: a.kind,
    Specialisms: a.specialisms,
    Localities: a.localities,
    CityWide: a.cityWide,
    MinAge: a.minAge,
    MaxAge: a.maxAge,
    Capacity: a.capacity,
    ActiveCases: a.activeCases,
    ContactEmail: a.contactEmail,
    SchoolURN: a.schoolUrn ?? undefined,
  };
}

/** The reference checks of an agency row (as the import does): known localities, needs and school. */
async function agencyReferences(db: Kysely<Database>, row: AgencyRow): Promise<number | null> {
  const known = await referenceCodes(db);
  const localities = new Set(known.localities.map((l) => l.code));
  const needs = new Set(known.needs.map((n) => n.code));
  const issues: FieldIssue[] = [];
  const badLocality = row.Localities.find((l) => !localities.has(l));
  if (badLocality) issues.push({ field: 'Localities', message: `has an unknown locality "${badLocality}"` });
  const badNeed = row.Specialisms.find((s) => !needs.has(s));
  if (badNeed) issues.push({ field: 'Specialisms', message: `has an unknown need code "${badNeed}"` });
  let schoolId: number | null = null;
  if (row.SchoolURN !== undefined) {
    schoolId = (await schoolIdsByUrn(db, [row.SchoolURN])).get(row.SchoolURN) ?? null;
    if (schoolId === null) issues.push({ field: 'SchoolURN', message: `no school has URN ${row.SchoolURN}` });
  }
  if (issues.length > 0) throw new AppError('invalid-input', 'The agency was not saved', { issues });
  return schoolId;
}

/** Creates an agency from an import-style row; returns its id. */
export async function createAgency(db: Db, actor: Actor, input: unknown): Promise<number> {
  const row: AgencyRow = parseOrThrow(agencyRow, asRecord(input), 'agency');
  const schoolId = await agencyReferences(db, row);
  return mapRefusal(
    () =>
      db.transaction().execute(async (trx) => {
        const id = await insertAgency(trx, row, schoolId);
        await writeAudit(trx, actor, { action: 'agency.created', entity: 'agency', entityId: id });
        return id;
      }),
    agencyRefusals,
    'agency',
  );
}

/**
 * Updates an agency; with `merge` (PATCH) fields absent from `input` keep their values, with
 * `replace` (a form) absent means empty. `ActiveCases` is live data kept
 * by allocations: it is never changed here (a capacity below it is refused on Capacity). `active`
 * false takes the agency out of matching without deleting its history.
 */
export async function updateAgencyById(
  db: Db,
  actor: Actor,
  id: number,
  input: unknown,
  active?: boolean,
  mode: 'merge' | 'replace' = 'merge',
): Promise<void> {
  await mapRefusal(
    () =>
      db.transaction().execute(async (trx) => {
        const current = await getAgencyView(trx, id, true);
        if (current === null) throw new AppError('not-found', `There is no agency ${id}.`);
        const before = agencyAsRow(current);
        const merged = {
          ...(mode === 'merge' ? before : {}),
          ...definedOnly(asRecord(input)),
          ActiveCases: current.activeCases,
        };
        const parsed = agencyRow.safeParse(merged);
        if (!parsed.success)
          throw new AppError('invalid-input', 'The agency was not saved', {
            issues: parsed.error.issues.map((i) =>
              i.path[0] === 'ActiveCases'
                ? { field: 'Capacity', message: `must be at least the ${current.activeCases} active cases` }
                : { field: i.path.map(String).join('.') || '(root)', message: i.message },
            ),
          });
        const schoolId = await agencyReferences(trx, parsed.data);
        const nextActive = active ?? current.active;
        const changed = changedKeys(
          { ...before, active: current.active },
          { ...agencyAsRow({ ...current, ...rowView(parsed.data) }), active: nextActive },
        );
        if (changed.length === 0) return;
        await updateAgency(trx, id, parsed.data, schoolId, nextActive);
        await writeAudit(trx, actor, {
          action:
            nextActive === current.active
              ? 'agency.updated'
              : nextActive
                ? 'agency.reactivated'
                : 'agency.deactivated',
          entity: 'agency',
          entityId: id,
          details: { changed },
        });
      }),
    agencyRefusals,
    'agency',
  );
}

function rowView(row: AgencyRow): Partial<AgencyView> {
  return {
    name: row.Name,
    kind: row.Kind,
    schoolUrn: row.SchoolURN ?? null,
    specialisms: row.Specialisms,
    localities: row.Localities,
    cityWide: row.CityWide,
    minAge: row.MinAge,
    maxAge: row.MaxAge,
    capacity: row.Capacity,
    contactEmail: row.ContactEmail,
  };
}

/** A need of the taxonomy as typed: a code (fixed once created), a label, a category and a description. */
export const needInput = z.object({
  code: z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), code()),
  label: requiredText('is required, e.g. Parenting support'),
  category: z.preprocess(
    (v) =>
      typeof v === 'string' && v.trim() === ''
        ? undefined
        : typeof v === 'string'
          ? v.trim().toLowerCase()
          : v,
    code().default('family'),
  ),
  description: z
    .preprocess(
      (v) => v ?? '',
      optionalText().transform((t) => t ?? ''),
    )
    .pipe(z.string().max(500, 'must be 500 characters or fewer')),
});

/** Adds a need to the taxonomy. */
export async function createNeed(db: Db, actor: Actor, input: unknown): Promise<string> {
  const need: NeedView = parseOrThrow(needInput, input, 'need');
  return mapRefusal(
    () =>
      db.transaction().execute(async (trx) => {
        await insertNeed(trx, need);
        await writeAudit(trx, actor, { action: 'need.created', entity: 'need', entityId: need.code });
        return need.code;
      }),
    { needs_pkey: { field: 'code', message: 'is already a need' } },
    'need',
  );
}

/** Edits a need's label, category or description (its code is its identity: requests refer to it). */
export async function updateNeedByCode(
  db: Db,
  actor: Actor,
  needCode: string,
  input: unknown,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const current = await getNeedView(trx, needCode, true);
    if (current === null) throw new AppError('not-found', `There is no need ${needCode}.`);
    const need: NeedView = parseOrThrow(
      needInput,
      { ...current, ...definedOnly(asRecord(input)), code: needCode },
      'need',
    );
    const changed = changedKeys(
      current as unknown as Record<string, unknown>,
      need as unknown as Record<string, unknown>,
    );
    if (changed.length === 0) return;
    await updateNeed(trx, need);
    await writeAudit(trx, actor, {
      action: 'need.updated',
      entity: 'need',
      entityId: needCode,
      details: { changed },
    });
  });
}

function asRecord(input: unknown): Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input)
    ? (input as Record<string, unknown>)
    : {};
}

function definedOnly(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
}
