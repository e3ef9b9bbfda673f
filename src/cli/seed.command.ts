import type { Command } from 'commander';
import { cliActor } from '../actor.ts';
import { AppError } from '../errors.ts';
import { seedDemo } from '../seed/seed.service.ts';
import { withDatabase } from './context.ts';
import { action, type OutputOptions, print } from './output.ts';

export function registerSeedCommands(program: Command): void {
  program
    .command('seed')
    .description(
      'load demo data: a city of 6 localities, 30 schools, 15 agencies, 80 requests (no real people)',
    )
    .option('--demo', 'load the demo city')
    .option('--json', 'print JSON')
    .action(
      action(async (options: OutputOptions & { demo?: boolean }) => {
        if (!options.demo)
          throw new AppError('invalid-input', 'Say which data to seed: `hub seed --demo`', {
            issues: [{ field: '--demo', message: 'is required' }],
          });
        const result = await withDatabase((handle) =>
          seedDemo(handle.db, { now: new Date(), actor: cliActor }),
        );
        print(options, result, () =>
          result.kind === 'already-seeded'
            ? `Demo data is already loaded (hub ${result.hubId}); nothing changed.`
            : [
                `Demo city loaded (hub ${result.hubId}):`,
                `  ${result.localities} localities, ${result.schools} schools, ${result.agencies} agencies`,
                `  ${result.requests} requests from ${result.families} families, ${result.users} users`,
              ],
        );
      }),
    );
}
