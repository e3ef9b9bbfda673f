import { type Config, loadConfig } from '../config.ts';
import { type DbHandle, openDatabase } from '../db/client.ts';
import { migrateToLatest } from '../db/migrate.ts';

/**
 * Opens the configured database for one CLI command, migrates it (so a fresh embedded install
 * just works), runs `work`, and always closes the database.
 */
export async function withDatabase<T>(
  work: (handle: DbHandle, config: Readonly<Config>) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  const config = loadConfig();
  const handle = openDatabase(config);
  try {
    if (options.migrate !== false) await migrateToLatest(handle.db);
    return await work(handle, config);
  } finally {
    await handle.close();
  }
}
