import type { Command } from 'commander';
import { cliActor } from '../actor.ts';
import { type OutboxState, outboxStates } from '../email/outbox.repository.ts';
import { listOutbox, outboxHealth, retryFailed } from '../email/outbox-admin.service.ts';
import { AppError } from '../errors.ts';
import { withDatabase } from './context.ts';
import { action, type OutputOptions, print } from './output.ts';

/** `hub email outbox` (queue health and rows) and `hub email retry <id>` for admins. */
export function registerEmailCommands(program: Command): void {
  const email = program.command('email').description('the email outbox: what is queued, sent or failed');

  email
    .command('outbox')
    .description('list outbox emails (oldest first) with counts per state; no links or params are shown')
    .option('--state <state>', `only this state: ${outboxStates.join(', ')}`)
    .option('--limit <n>', 'at most this many rows', '50')
    .option('--json', 'print JSON')
    .action(
      action(async (options: OutputOptions & { state?: string; limit: string }) => {
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1) {
          throw new AppError('invalid-input', '--limit must be a whole number of 1 or more', {
            issues: [{ field: '--limit', message: 'must be a whole number of 1 or more' }],
          });
        }
        await withDatabase(async ({ db }) => {
          const counts = await outboxHealth(db);
          const rows = await listOutbox(db, { state: options.state as OutboxState | undefined, limit });
          print(options, { counts, emails: rows }, () => [
            outboxStates.map((s) => `${s}: ${counts[s]}`).join(', '),
            ...rows.map(
              (r) =>
                `#${r.id} ${r.state.padEnd(9)} ${r.template.padEnd(19)} to ${r.to}, due ${r.scheduledFor.toISOString()}, ${r.attempts} attempt(s)${r.uncertainSends > 0 ? `, ${r.uncertainSends} uncertain` : ''}${r.lastError ? `\n    last error: ${r.lastError}` : ''}`,
            ),
          ]);
        });
      }),
    );

  email
    .command('retry')
    .description('send a failed email again (same Message-ID)')
    .argument('<id>', 'outbox id, as listed by `hub email outbox`')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, options: OutputOptions) => {
        if (!/^[1-9]\d*$/.test(id)) {
          throw new AppError('invalid-input', 'The outbox id must be a whole number', {
            issues: [{ field: 'id', message: 'must be a whole number' }],
          });
        }
        await withDatabase(async ({ db }) => {
          const entry = await retryFailed(db, Number(id), cliActor);
          print(
            options,
            entry,
            () => `Email #${entry.id} (${entry.template} to ${entry.to}) will be sent again.`,
          );
        });
      }),
    );
}
