import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { openPostgres } from '../../src/db/client.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { testEnv } from '../helpers/env.ts';

/*
 * Creates (once per migration set) a migrated template database; every test file then gets its
 * own database cloned from it (graphile-worker's approach): isolated and fast.
 */
export default async function setup({ provide }: { provide: (key: string, value: unknown) => void }) {
  if (!testEnv.engines.includes('postgres')) return;
  const dir = new URL('../../schema/migrations/', import.meta.url);
  const hash = createHash('sha256');
  for (const file of readdirSync(dir).sort()) hash.update(file).update(readFileSync(new URL(file, dir)));
  const digest = hash.digest('hex').slice(0, 12);
  const template = `hub_template_${digest}`;
  const admin = new pg.Client({ connectionString: testEnv.databaseUrl });
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [template]);
    if (exists.rowCount === 0) {
      const building = `${template}_${process.pid}`;
      await admin.query(`create database ${building}`);
      const url = new URL(testEnv.databaseUrl);
      url.pathname = `/${building}`;
      const handle = openPostgres(url.toString(), { max: 1 });
      await migrateToLatest(handle.db);
      await handle.close();
      // Rename into place; a concurrent run that got there first wins and we drop ours.
      try {
        await admin.query(`alter database ${building} rename to ${template}`);
      } catch {
        await admin.query(`drop database if exists ${building}`);
      }
    }
  } finally {
    await admin.end();
  }
  provide('postgresTemplate', template);
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresTemplate: string;
  }
}
