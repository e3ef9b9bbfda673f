import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';
import { agencyValues, schoolValues } from '../import/import.repository.ts';
import type { AgencyRow, SchoolRow } from '../import/rows.ts';

/*
 * Admin lists and edits of the reference data: schools, agencies, the need taxonomy, localities.
 * Lists are searched (case-insensitive substring) and paged by offset (they are small tables).
 */

type Db = Kysely<Database> | Transaction<Database>;

/** A page request: 1-based page number and its size. */
export interface PageRequest {
  q?: string | undefined;
  page: number;
  size: number;
}

/** One page of a list and the number of matches in all. */
export interface ListPage<T> {
  items: T[];
  total: number;
}

/** `%text%` for ILIKE, with the pattern characters of the text escaped. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface SchoolView {
  id: number;
  urn: number;
  name: string;
  locality: string;
  phase: string | null;
  postcode: string | null;
  safeguardingLeadEmails: string[];
}

const schoolColumns = [
  'id',
  'urn',
  'name',
  'locality',
  'phase',
  'postcode',
  'safeguarding_lead_emails',
] as const;

function toSchool(r: {
  id: number;
  urn: number;
  name: string;
  locality: string;
  phase: string | null;
  postcode: string | null;
  safeguarding_lead_emails: string[];
}): SchoolView {
  return {
    id: r.id,
    urn: r.urn,
    name: r.name,
    locality: r.locality,
    phase: r.phase,
    postcode: r.postcode,
    safeguardingLeadEmails: r.safeguarding_lead_emails,
  };
}

/** Schools by name; `q` matches the name, the locality or the exact URN. */
export async function listSchoolViews(db: Db, page: PageRequest): Promise<ListPage<SchoolView>> {
  let query = db.selectFrom('schools');
  const q = page.q?.trim();
  if (q)
    query = query.where((eb) =>
      eb.or([
        eb('name', 'ilike', containsPattern(q)),
        eb('locality', 'ilike', containsPattern(q)),
        ...(/^\d{6}$/.test(q) ? [eb('urn', '=', Number(q))] : []),
      ]),
    );
  const [rows, count] = await Promise.all([
    query
      .select(schoolColumns)
      .orderBy('name')
      .orderBy('id')
      .limit(page.size)
      .offset((page.page - 1) * page.size)
      .execute(),
    query.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(toSchool), total: count.n };
}

export async function getSchoolView(db: Db, id: number, lock = false): Promise<SchoolView | null> {
  let query = db.selectFrom('schools').select(schoolColumns).where('id', '=', id);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? toSchool(row) : null;
}

export async function insertSchool(db: Db, row: SchoolRow): Promise<number> {
  const { id } = await db
    .insertInto('schools')
    .values(schoolValues(row))
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function updateSchool(db: Db, id: number, row: SchoolRow): Promise<void> {
  await db.updateTable('schools').set(schoolValues(row)).where('id', '=', id).execute();
}

export interface AgencyView {
  id: number;
  name: string;
  kind: string;
  schoolId: number | null;
  schoolUrn: number | null;
  specialisms: string[];
  localities: string[];
  cityWide: boolean;
  minAge: number;
  maxAge: number;
  capacity: number;
  activeCases: number;
  contactEmail: string;
  active: boolean;
}

function agencyQuery(db: Db) {
  return db
    .selectFrom('agencies as a')
    .leftJoin('schools as s', 's.id', 'a.school_id')
    .select([
      'a.id',
      'a.name',
      'a.kind',
      'a.school_id',
      's.urn as school_urn',
      'a.specialisms',
      'a.localities',
      'a.city_wide',
      'a.min_age',
      'a.max_age',
      'a.capacity',
      'a.active_cases',
      'a.contact_email',
      'a.active',
    ]);
}

type AgencySelect = Awaited<ReturnType<ReturnType<typeof agencyQuery>['executeTakeFirstOrThrow']>>;

function toAgency(r: AgencySelect): AgencyView {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    schoolId: r.school_id,
    schoolUrn: r.school_urn,
    specialisms: r.specialisms,
    localities: r.localities,
    cityWide: r.city_wide,
    minAge: r.min_age,
    maxAge: r.max_age,
    capacity: r.capacity,
    activeCases: r.active_cases,
    contactEmail: r.contact_email,
    active: r.active,
  };
}

/** Agencies by name; `q` matches the name or the kind. */
export async function listAgencyViews(db: Db, page: PageRequest): Promise<ListPage<AgencyView>> {
  const q = page.q?.trim();
  const filter = <T extends ReturnType<typeof agencyQuery>>(query: T): T =>
    q
      ? (query.where((eb) =>
          eb.or([eb('a.name', 'ilike', containsPattern(q)), eb('a.kind', 'ilike', containsPattern(q))]),
        ) as T)
      : query;
  const [rows, count] = await Promise.all([
    filter(agencyQuery(db))
      .orderBy('a.name')
      .orderBy('a.id')
      .limit(page.size)
      .offset((page.page - 1) * page.size)
      .execute(),
    filter(agencyQuery(db))
      .clearSelect()
      .select(sql<number>`count(*)::int`.as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(toAgency), total: count.n };
}

export async function getAgencyView(db: Db, id: number, lock = false): Promise<AgencyView | null> {
  let query = agencyQuery(db).where('a.id', '=', id);
  if (lock) query = query.forUpdate('a');
  const row = await query.executeTakeFirst();
  return row ? toAgency(row) : null;
}

export async function insertAgency(db: Db, row: AgencyRow, schoolId: number | null): Promise<number> {
  const { id } = await db
    .insertInto('agencies')
    .values({ ...agencyValues(row, schoolId), active_cases: row.ActiveCases })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** Updates an agency; `active_cases` is live data (allocations keep it) and is never written here. */
export async function updateAgency(
  db: Db,
  id: number,
  row: AgencyRow,
  schoolId: number | null,
  active: boolean,
): Promise<void> {
  await db
    .updateTable('agencies')
    .set({ ...agencyValues(row, schoolId), active, updated_at: sql`now()` })
    .where('id', '=', id)
    .execute();
}

/** The school id of each URN that exists. */
export async function schoolIdsByUrn(db: Db, urns: number[]): Promise<Map<number, number>> {
  if (urns.length === 0) return new Map();
  const rows = await db.selectFrom('schools').select(['id', 'urn']).where('urn', 'in', urns).execute();
  return new Map(rows.map((r) => [r.urn, r.id]));
}

/** Codes of the council's localities and of the need taxonomy (for reference checks and form options). */
export async function referenceCodes(db: Db): Promise<{
  localities: Array<{ code: string; name: string }>;
  needs: Array<{ code: string; label: string }>;
}> {
  const [localities, needs] = await Promise.all([
    db.selectFrom('localities').select(['code', 'name']).orderBy('name').execute(),
    db.selectFrom('needs').select(['code', 'label']).orderBy('label').execute(),
  ]);
  return { localities, needs };
}

export interface NeedView {
  code: string;
  label: string;
  category: string;
  description: string;
}

/** The need taxonomy by label; `q` matches the code, label or category. */
export async function listNeedViews(db: Db, page: PageRequest): Promise<ListPage<NeedView>> {
  let query = db.selectFrom('needs');
  const q = page.q?.trim();
  if (q)
    query = query.where((eb) =>
      eb.or(
        (['code', 'label', 'category'] as const).map((column) => eb(column, 'ilike', containsPattern(q))),
      ),
    );
  const [rows, count] = await Promise.all([
    query
      .select(['code', 'label', 'category', 'description'])
      .orderBy('label')
      .orderBy('code')
      .limit(page.size)
      .offset((page.page - 1) * page.size)
      .execute(),
    query.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items: rows, total: count.n };
}

export async function getNeedView(db: Db, code: string, lock = false): Promise<NeedView | null> {
  let query = db
    .selectFrom('needs')
    .select(['code', 'label', 'category', 'description'])
    .where('code', '=', code);
  if (lock) query = query.forUpdate();
  return (await query.executeTakeFirst()) ?? null;
}

export async function insertNeed(db: Db, need: NeedView): Promise<void> {
  await db.insertInto('needs').values(need).execute();
}

export async function updateNeed(db: Db, need: NeedView): Promise<void> {
  const { code, ...rest } = need;
  await db.updateTable('needs').set(rest).where('code', '=', code).execute();
}
