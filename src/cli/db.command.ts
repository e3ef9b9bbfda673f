import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { action, type OutputOptions, print } from './output.ts';

export function registerDbCommands(program: Command): void {
  program
    .command('migrate')
    .description(
      'apply pending database migrations (PostgreSQL when DATABASE_URL is set, else embedded PGlite)',
    )
    .option('--json', 'print JSON')
    .action(
      action(async (options: OutputOptions) => {
        const config = loadConfig();
        const handle = openDatabase(config);
        try {
          const applied = await migrateToLatest(handle.db);
          print(options, { engine: handle.engine, applied }, () =>
            applied.length === 0
              ? `Database (${handle.engine}) is up to date.`
              : [
                  `Applied ${applied.length} migration(s) on ${handle.engine}:`,
                  ...applied.map((m) => `  ${m}`),
                ],
          );
        } finally {
          await handle.close();
        }
      }),
    );
}
