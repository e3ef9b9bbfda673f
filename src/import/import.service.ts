import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import { AppError, type FieldIssue } from '../errors.ts';
import { insertFamily } from '../requests/new-request.repository.ts';
import {
  type ImportLookups,
  insertLocalities,
  insertRequest,
  loadLookups,
  upsertAgency,
  upsertSchool,
} from './import.repository.ts';
import type { InputRow } from './read.ts';
import {
  type AgencyRow,
  agencyRow,
  normaliseColumns,
  type RequestRow,
  requestRow,
  type SchoolRow,
  schoolRow,
} from './rows.ts';

export type ImportKind = 'schools' | 'agencies' | 'requests';

export interface ImportOptions {
  actor: Actor;
  /** Create localities named in the file that do not exist yet (otherwise they are errors). */
  createLocalities?: boolean;
  /** Called as rows are checked and written: (phase, done, total). */
  onProgress?: (phase: 'checking' | 'writing', done: number, total: number) => void;
}

export interface ImportSummary {
  kind: ImportKind;
  rows: number;
  created: number;
  updated: number;
  localitiesCreated: string[];
}

interface Parsed<T> {
  row: number;
  value: T;
}

function parseRows<S extends z.ZodType>(
  schema: S,
  rows: InputRow[],
  issues: FieldIssue[],
): Parsed<z.output<S>>[] {
  const out: Parsed<z.output<S>>[] = [];
  for (const { row, values } of rows) {
    const result = schema.safeParse(normaliseColumns(values));
    if (result.success) out.push({ row, value: result.data });
    else
      for (const issue of result.error.issues)
        issues.push({ row, field: issue.path.map(String).join('.') || '(row)', message: issue.message });
  }
  return out;
}

/** Adds an issue for each row whose `key` repeats an earlier row's. */
function checkUnique<T>(
  rows: Parsed<T>[],
  field: string,
  key: (v: T) => unknown,
  issues: FieldIssue[],
): void {
  const first = new Map<unknown, number>();
  for (const { row, value } of rows) {
    const k = key(value);
    if (k === undefined || k === null) continue;
    const earlier = first.get(k);
    if (earlier === undefined) first.set(k, row);
    else issues.push({ row, field, message: `repeats row ${earlier} (${String(k)})` });
  }
}

function checkLocality(
  row: number,
  field: string,
  code: string,
  lookups: ImportLookups,
  options: ImportOptions,
  missing: Set<string>,
  issues: FieldIssue[],
): void {
  if (lookups.localities.has(code)) return;
  if (options.createLocalities) missing.add(code);
  else
    issues.push({
      row,
      field,
      message: `unknown locality "${code}" (known: ${[...lookups.localities].sort().join(', ') || 'none yet'}; use --create-localities to add it)`,
    });
}

/**
 * Imports rows all-or-nothing: every row is parsed and checked against the database first; if any
 * row is bad, AppError('invalid-input') lists every bad row (row number, column, reason) and nothing
 * is written. Otherwise all rows are written in one transaction with one audit entry per row.
 */
export async function importRows(
  db: Kysely<Database>,
  kind: ImportKind,
  rows: InputRow[],
  options: ImportOptions,
): Promise<ImportSummary> {
  if (rows.length === 0)
    throw new AppError('invalid-input', 'The file has no rows to import', {
      issues: [{ field: 'FILE', message: 'has no rows' }],
    });
  const issues: FieldIssue[] = [];
  const lookups = await loadLookups(db);
  const newLocalities = new Set<string>();
  const progress = options.onProgress ?? (() => {});
  progress('checking', 0, rows.length);

  let write: (
    trx: Kysely<Database>,
    done: () => void,
  ) => Promise<{ created: number; updated: number; audit: { id: number; ref: string }[] }>;

  if (kind === 'schools') {
    const parsed = parseRows(schoolRow, rows, issues);
    checkUnique(parsed, 'URN', (v) => v.URN, issues);
    for (const { row, value } of parsed)
      checkLocality(row, 'Locality', value.Locality, lookups, options, newLocalities, issues);
    write = async (trx, done) => {
      const audit: { id: number; ref: string }[] = [];
      let updated = 0;
      for (const { value } of parsed as Parsed<SchoolRow>[]) {
        if (lookups.schoolIdByUrn.has(value.URN)) updated++;
        audit.push({ id: await upsertSchool(trx, value), ref: String(value.URN) });
        done();
      }
      return { created: parsed.length - updated, updated, audit };
    };
  } else if (kind === 'agencies') {
    const parsed = parseRows(agencyRow, rows, issues);
    checkUnique(parsed, 'Name', (v) => v.Name.toLowerCase(), issues);
    const existing = new Set((await db.selectFrom('agencies').select('name').execute()).map((a) => a.name));
    for (const { row, value } of parsed) {
      for (const loc of value.Localities)
        checkLocality(row, 'Localities', loc, lookups, options, newLocalities, issues);
      for (const s of value.Specialisms)
        if (!lookups.needs.has(s))
          issues.push({ row, field: 'Specialisms', message: `unknown need code "${s}"` });
      if (value.SchoolURN !== undefined && !lookups.schoolIdByUrn.has(value.SchoolURN))
        issues.push({
          row,
          field: 'SchoolURN',
          message: `no school with URN ${value.SchoolURN}; import schools first`,
        });
    }
    write = async (trx, done) => {
      const audit: { id: number; ref: string }[] = [];
      let updated = 0;
      for (const { value } of parsed as Parsed<AgencyRow>[]) {
        if (existing.has(value.Name)) updated++;
        const schoolId =
          value.SchoolURN === undefined ? null : (lookups.schoolIdByUrn.get(value.SchoolURN) ?? null);
        audit.push({ id: await upsertAgency(trx, value, schoolId), ref: value.Name });
        done();
      }
      return { created: parsed.length - updated, updated, audit };
    };
  } else {
    const parsed = parseRows(requestRow, rows, issues);
    checkUnique(parsed, 'Reference', (v) => v.Reference, issues);
    checkUnique(parsed, 'ExternalReference', (v) => v.ExternalReference, issues);
    const familyLocality = new Map<string, { locality: string; row: number }>();
    for (const { row, value } of parsed) {
      if (lookups.requestReferences.has(value.Reference))
        issues.push({ row, field: 'Reference', message: `request ${value.Reference} already exists` });
      if (value.ExternalReference && lookups.externalReferences.has(value.ExternalReference))
        issues.push({
          row,
          field: 'ExternalReference',
          message: `${value.ExternalReference} is already used by another request`,
        });
      if (!lookups.hubIdByName.has(value.Hub.toLowerCase()))
        issues.push({ row, field: 'Hub', message: `no hub named "${value.Hub}"` });
      if (value.SchoolURN !== undefined && !lookups.schoolIdByUrn.has(value.SchoolURN))
        issues.push({
          row,
          field: 'SchoolURN',
          message: `no school with URN ${value.SchoolURN}; import schools first`,
        });
      for (const n of value.Needs)
        if (!lookups.needs.has(n.code))
          issues.push({ row, field: 'Needs', message: `unknown need code "${n.code}"` });
      checkLocality(row, 'Locality', value.Locality, lookups, options, newLocalities, issues);
      // One family lives in one locality: the file and the database must agree.
      const known = lookups.familyByReference.get(value.FamilyReference);
      const seen = familyLocality.get(value.FamilyReference);
      if (known && known.locality !== value.Locality)
        issues.push({
          row,
          field: 'Locality',
          message: `family ${value.FamilyReference} is recorded in ${known.locality}`,
        });
      else if (seen && seen.locality !== value.Locality)
        issues.push({
          row,
          field: 'Locality',
          message: `family ${value.FamilyReference} is in ${seen.locality} on row ${seen.row}`,
        });
      else if (!seen) familyLocality.set(value.FamilyReference, { locality: value.Locality, row });
    }
    write = async (trx, done) => {
      const audit: { id: number; ref: string }[] = [];
      const families = new Map([...lookups.familyByReference].map(([ref, f]) => [ref, f.id]));
      for (const { value } of parsed as Parsed<RequestRow>[]) {
        let familyId = families.get(value.FamilyReference);
        if (familyId === undefined) {
          familyId = await insertFamily(trx, value.FamilyReference, value.Locality);
          families.set(value.FamilyReference, familyId);
        }
        const id = await insertRequest(trx, value, {
          hubId: lookups.hubIdByName.get(value.Hub.toLowerCase()) as number,
          familyId,
          schoolId:
            value.SchoolURN === undefined ? null : (lookups.schoolIdByUrn.get(value.SchoolURN) ?? null),
        });
        audit.push({ id, ref: value.Reference });
        done();
      }
      return { created: parsed.length, updated: 0, audit };
    };
  }

  progress('checking', rows.length, rows.length);
  if (issues.length > 0) {
    issues.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
    const badRows = new Set(issues.map((i) => i.row)).size;
    throw new AppError(
      'invalid-input',
      `Nothing was imported: ${badRows} of ${rows.length} rows have problems`,
      { issues },
    );
  }

  const entity = kind === 'schools' ? 'school' : kind === 'agencies' ? 'agency' : 'request';
  // Join the caller's transaction when there is one (the demo seed imports several kinds at once).
  const inTransaction = <T>(work: (trx: Kysely<Database>) => Promise<T>) =>
    db.isTransaction ? work(db) : db.transaction().execute(work);
  return inTransaction(async (trx) => {
    await insertLocalities(trx, [...newLocalities].sort());
    let done = 0;
    const result = await write(trx, () => progress('writing', ++done, rows.length));
    await writeAudit(
      trx,
      options.actor,
      result.audit.map((a) => ({
        action: `${entity}.imported`,
        entity,
        entityId: a.id,
        details: { ref: a.ref },
      })),
    );
    return {
      kind,
      rows: rows.length,
      created: result.created,
      updated: result.updated,
      localitiesCreated: [...newLocalities].sort(),
    };
  });
}
