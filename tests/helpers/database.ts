import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { type DbHandle, openPglite, openPostgres } from '../../src/db/client.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { testEnv } from './env.ts';

export type Engine = 'postgres' | 'pglite';
export const engines: Engine[] = testEnv.engines;

/**
 * A fresh, migrated database of its own for one test file: on PostgreSQL a clone of the template
 * database, on PGlite an in-memory instance. `close()` drops it.
 */
export async function createTestDatabase(engine: Engine): Promise<DbHandle & { url: string | null }> {
  if (engine === 'pglite') {
    const handle = openPglite(null);
    await migrateToLatest(handle.db);
    return { ...handle, url: null };
  }
  const name = `hub_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testEnv.databaseUrl });
  await admin.connect();
  await admin.query(`create database ${name} template ${inject('postgresTemplate')}`);
  await admin.end();
  const url = new URL(testEnv.databaseUrl);
  url.pathname = `/${name}`;
  const handle = openPostgres(url.toString());
  return {
    ...handle,
    url: url.toString(),
    engine: 'postgres',
    async close() {
      await handle.close();
      const dropper = new pg.Client({ connectionString: testEnv.databaseUrl });
      await dropper.connect();
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}
