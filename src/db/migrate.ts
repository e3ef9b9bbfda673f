import { type Kysely, type MigrationResultSet, Migrator } from 'kysely';
import { migrations } from '../../schema/migrations/index.ts';
import { AppError } from '../errors.ts';

/** Applies every pending migration. Returns the names applied now (empty when up to date). */
// biome-ignore lint/suspicious/noExplicitAny: migrations are deliberately untyped
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new AppError('internal', `Migration ${failed} failed: ${String(result.error)}`, {
      cause: result.error,
    });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
