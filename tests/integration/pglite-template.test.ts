import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../../schema/migrations/index.ts';
import { type DbHandle, openPglite } from '../../src/db/client.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { openMigratedPglite, templateKey } from '../../src/db/pglite-template.ts';
import { testEnv } from '../helpers/env.ts';

describe.skipIf(!testEnv.engines.includes('pglite'))('PGlite started from a cached migrated template', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'hub-pglite-template-'));
  const cache = path.join(root, 'cache');
  const current = `pglite-migrated-${templateKey()}.tar.gz`;
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** What migrating the database would apply now, and how many migrations it records as done. */
  async function state(handle: DbHandle): Promise<{ applied: string[]; recorded: number }> {
    try {
      const applied = await migrateToLatest(handle.db);
      const row = await handle.db
        .selectFrom('kysely_migration' as never)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return { applied, recorded: Number(row.n) };
    } finally {
      await handle.close();
    }
  }
  const upToDate = { applied: [], recorded: Object.keys(migrations).length };

  it('builds the template once, replacing one of an older migration set', async () => {
    mkdirSync(cache, { recursive: true });
    writeFileSync(path.join(cache, 'pglite-migrated-0000000000000000.tar.gz'), 'an older schema');
    expect(await state(await openMigratedPglite(null, cache))).toEqual(upToDate);
    expect(readdirSync(cache)).toEqual([current]);
  }, 60_000);

  it('copies it into an empty directory that later opens as a database of its own', async () => {
    const dir = path.join(root, 'data');
    expect(await state(await openMigratedPglite(dir, cache))).toEqual(upToDate);
    expect(readdirSync(dir)).toContain('PG_VERSION');
    expect(await state(openPglite(dir))).toEqual(upToDate);
  }, 60_000);

  it('builds it again when the cached file is damaged', async () => {
    writeFileSync(path.join(cache, current), 'not a gzip file');
    expect(await state(await openMigratedPglite(null, cache))).toEqual(upToDate);
    expect(readdirSync(cache)).toEqual([current]);
  }, 60_000);
});
