import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/actor.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { AppError } from '../../src/errors.ts';
import { importRows } from '../../src/import/import.service.ts';
import { readRows } from '../../src/import/read.ts';
import { runHub } from '../helpers/cli.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';

const threeBadRows = fileURLToPath(new URL('../fixtures/schools-three-bad-rows.csv', import.meta.url));

async function counts(handle: DbHandle) {
  const one = async (table: 'schools' | 'audit_log' | 'requests' | 'families' | 'children' | 'agencies') =>
    Number(
      (await handle.db.selectFrom(table).select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n,
    );
  return {
    schools: await one('schools'),
    audit: await one('audit_log'),
    requests: await one('requests'),
    families: await one('families'),
    children: await one('children'),
    agencies: await one('agencies'),
  };
}

describe.each(engines)('import on %s', (engine) => {
  let handle: DbHandle;
  const dir = mkdtempSync(path.join(tmpdir(), 'hub-import-'));

  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    await handle.db
      .insertInto('localities')
      .values([
        { code: 'west', name: 'West' },
        { code: 'east', name: 'East' },
      ])
      .execute();
    await handle.db
      .insertInto('needs')
      .values([
        { code: 'parenting', label: 'Parenting' },
        { code: 'housing', label: 'Housing' },
      ])
      .execute();
    await handle.db
      .insertInto('hubs')
      .values({
        name: 'City Hub',
        rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=WE',
        first_sitting: '2027-01-06',
        start_time: '09:30',
        slots_per_sitting: 8,
      })
      .execute();
  });

  afterAll(async () => {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports every bad row with its row number, column and reason, and writes nothing', async () => {
    const before = await counts(handle);
    const { rows } = await readRows(threeBadRows);
    const error = await importRows(handle.db, 'schools', rows, { actor: cliActor }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    const issues = (error as AppError).issues.map((i) => `row ${i.row} ${i.field}: ${i.message}`);
    // A row that fails its own checks is reported for those; the cross-row checks (repeated URN,
    // unknown locality) run on rows that parse, so row 6 shows its email problem first.
    expect(issues).toEqual([
      'row 3 URN: must be a 6-digit DfE URN',
      'row 5 EstablishmentName: is required',
      'row 6 SafeguardingLeadEmails.0: must be an email address',
    ]);
    expect((error as AppError).message).toBe('Nothing was imported: 3 of 6 rows have problems');
    expect(await counts(handle)).toEqual(before);
  });

  it('imports good rows in one go, audits each, and updates a school on re-import by URN', async () => {
    const csv = path.join(dir, 'good.csv');
    writeFileSync(
      csv,
      'URN,EstablishmentName,Locality,SafeguardingLeadEmails\n120101,Abbey Primary,west,dsl@abbey.example.org\n120108,Ashfield Primary,East,a@x.org; b@x.org\n',
    );
    const first = await importRows(handle.db, 'schools', (await readRows(csv)).rows, { actor: cliActor });
    expect(first).toMatchObject({ rows: 2, created: 2, updated: 0 });
    writeFileSync(csv, 'URN,EstablishmentName,Locality\n120101,Abbey Primary School,west\n');
    const second = await importRows(handle.db, 'schools', (await readRows(csv)).rows, { actor: cliActor });
    expect(second).toMatchObject({ rows: 1, created: 0, updated: 1 });
    const abbey = await handle.db
      .selectFrom('schools')
      .selectAll()
      .where('urn', '=', 120101)
      .executeTakeFirstOrThrow();
    expect(abbey.name).toBe('Abbey Primary School');
    const ashfield = await handle.db
      .selectFrom('schools')
      .selectAll()
      .where('urn', '=', 120108)
      .executeTakeFirstOrThrow();
    expect(ashfield.safeguarding_lead_emails).toEqual(['a@x.org', 'b@x.org']);
    const audit = await handle.db.selectFrom('audit_log').select(['action', 'actor']).execute();
    expect(audit.filter((a) => a.action === 'school.imported')).toHaveLength(3);
    expect(audit.every((a) => a.actor === 'system:cli')).toBe(true);
  });

  it('imports requests from JSON: siblings at two schools become one family with two requests', async () => {
    const json = path.join(dir, 'requests.json');
    const base = {
      Hub: 'City Hub',
      Kind: 'new',
      FamilyReference: 'FAM-9',
      Locality: 'west',
      Urgency: 'high',
      Needs: ['parenting:3', 'housing:1'],
      ConsentGiven: true,
      ConsentRecordedAt: '2027-02-01T09:00:00Z',
      ConsentRecordedBy: 'DSL',
      ReferrerName: 'A. Patel',
      ReferrerOrganisation: 'Abbey Primary',
      ReceivedAt: '2027-02-02T09:00:00+00:00',
    };
    writeFileSync(
      json,
      JSON.stringify([
        { ...base, Reference: 'EH-2027-0001', SchoolURN: 120101, ChildDatesOfBirth: '2018-05-01' },
        { ...base, Reference: 'EH-2027-0002', SchoolURN: 120108, ChildDatesOfBirth: ['2014-01-20'] },
      ]),
    );
    const summary = await importRows(handle.db, 'requests', (await readRows(json)).rows, { actor: cliActor });
    expect(summary).toMatchObject({ rows: 2, created: 2 });
    const families = await handle.db.selectFrom('families').selectAll().execute();
    expect(families.map((f) => f.reference)).toEqual(['FAM-9']);
    const needs = await handle.db
      .selectFrom('request_needs')
      .select(['need_code', 'severity'])
      .orderBy('need_code')
      .execute();
    expect(needs).toEqual([
      { need_code: 'housing', severity: 1 },
      { need_code: 'housing', severity: 1 },
      { need_code: 'parenting', severity: 3 },
      { need_code: 'parenting', severity: 3 },
    ]);
    // The same file again: both references already exist, nothing is written twice.
    const again = await importRows(handle.db, 'requests', (await readRows(json)).rows, {
      actor: cliActor,
    }).catch((e: unknown) => e);
    expect((again as AppError).issues.map((i) => `${i.row}:${i.field}`)).toEqual([
      '1:Reference',
      '2:Reference',
    ]);
    expect((await counts(handle)).requests).toBe(2);
  });

  it('refuses a family placed in two localities, and an unknown need and hub', async () => {
    const json = path.join(dir, 'bad-requests.json');
    const row = {
      Kind: 'new',
      ChildDatesOfBirth: '2018-05-01',
      Needs: 'parenting',
      ReferrerName: 'X',
      ReferrerOrganisation: 'Y',
      ReceivedAt: '2027-02-02T09:00:00Z',
    };
    writeFileSync(
      json,
      JSON.stringify([
        { ...row, Reference: 'EH-A', Hub: 'City Hub', FamilyReference: 'FAM-9', Locality: 'east' },
        {
          ...row,
          Reference: 'EH-B',
          Hub: 'Town Hub',
          FamilyReference: 'FAM-10',
          Locality: 'west',
          Needs: 'flying:2',
        },
      ]),
    );
    const error = (await importRows(handle.db, 'requests', (await readRows(json)).rows, {
      actor: cliActor,
    }).catch((e: unknown) => e)) as AppError;
    expect(error.issues.map((i) => `${i.row}:${i.field}`)).toEqual(['1:Locality', '2:Hub', '2:Needs']);
  });
});

describe('hub import (the command)', () => {
  it('prints all three bad rows, exits 2 and leaves the embedded database unchanged', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'hub-cli-'));
    try {
      const env = { HUB_DATA_DIR: dataDir };
      const seeded = await runHub(['seed', '--demo', '--json'], env);
      expect(seeded.code, seeded.stderr).toBe(0);
      const result = await runHub(['import', 'schools', threeBadRows], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('Nothing was imported: 3 of 6 rows have problems');
      expect(result.stderr).toContain('row 3, URN: must be a 6-digit DfE URN');
      expect(result.stderr).toContain('row 5, EstablishmentName: is required');
      expect(result.stderr).toContain('row 6, SafeguardingLeadEmails.0: must be an email address');
      const json = await runHub(['import', 'schools', threeBadRows, '--json'], env);
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout).error.issues).toHaveLength(3);
      const again = await runHub(['seed', '--demo', '--json'], env);
      expect(JSON.parse(again.stdout)).toMatchObject({ kind: 'already-seeded' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
