import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { openPglite, type PgliteHandle } from './client.ts';
import { migrateToLatest } from './migrate.ts';

/*
 * A fresh PGlite database spends seconds in initdb (a second WebAssembly PostgreSQL) before the
 * migrations even start. A migrated data directory is kept as a tarball, keyed by the PGlite
 * version and the migration files (as tests/setup/postgres-template.ts keys the PostgreSQL
 * template), so later fresh databases start from a copy in a fraction of that.
 */

const migrationsDir = new URL('../../schema/migrations/', import.meta.url);
const prefix = 'pglite-migrated-';

/** What the template depends on: PGlite's build (the data directory's format) and every migration file. */
export function templateKey(): string {
  const hash = createHash('sha256');
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const pkg = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8'));
  hash.update(`pglite ${pkg.version}\n`);
  for (const file of readdirSync(migrationsDir).sort())
    hash.update(file).update(readFileSync(new URL(file, migrationsDir)));
  return hash.digest('hex').slice(0, 16);
}

function readTemplate(file: string): Blob | null {
  try {
    return new Blob([gunzipSync(readFileSync(file))]);
  } catch {
    return null; // missing or damaged: build it again
  }
}

/**
 * Opens PGlite in `dir` (empty or absent; null for memory) as a copy of the template in `cacheDir`,
 * built there on first use: the schema is the latest (callers still run `migrateToLatest`, a no-op
 * then, as the guard). Any other template in `cacheDir` (an older migration set) is removed when a
 * new one is written.
 */
export async function openMigratedPglite(dir: string | null, cacheDir: string): Promise<PgliteHandle> {
  const key = templateKey();
  const file = path.join(cacheDir, `${prefix}${key}.tar.gz`);
  let template = readTemplate(file);
  if (template === null) {
    const building = openPglite(null);
    try {
      await migrateToLatest(building.db);
      template = await building.dumpDataDir();
    } finally {
      await building.close();
    }
    mkdirSync(cacheDir, { recursive: true });
    for (const old of readdirSync(cacheDir))
      if (old.startsWith(prefix) && old.endsWith('.tar.gz') && old !== path.basename(file))
        rmSync(path.join(cacheDir, old), { force: true });
    // Written aside then renamed: a concurrent run never reads half a file.
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, gzipSync(Buffer.from(await template.arrayBuffer()), { level: 1 }));
    renameSync(partial, file);
  }
  return openPglite(dir, { loadDataDir: template });
}
