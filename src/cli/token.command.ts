import type { Command } from 'commander';
import { cliActor } from '../actor.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../auth/api-token.service.ts';
import { AppError } from '../errors.ts';
import { withDatabase } from './context.ts';
import { action, type OutputOptions, print } from './output.ts';

/** `--school 123456` / `--agency 7`: a whole number, else invalid input (exit 2). */
function wholeNumber(option: string) {
  return (value: string): number => {
    if (!/^[0-9]+$/.test(value))
      throw new AppError('invalid-input', `--${option} must be a whole number, got "${value}"`, {
        issues: [{ field: option, message: 'must be a whole number' }],
      });
    return Number(value);
  };
}

const when = (d: Date | null) => (d === null ? 'never' : d.toISOString());

export function registerTokenCommands(program: Command): void {
  const token = program
    .command('token')
    .description('API tokens for the JSON API (shown once, stored hashed)');

  token
    .command('create')
    .description('create an API token and print it once')
    .requiredOption('--name <name>', 'a name for the client, e.g. frontdoor')
    .requiredOption('--role <role>', 'admin, chair, coordinator, school or agency')
    .option('--school <urn>', "the school's DfE URN (school role)")
    .option('--agency <id>', "the agency's id (agency role)")
    .option('--json', 'print JSON')
    .action(
      action(
        async (options: OutputOptions & { name: string; role: string; school?: string; agency?: string }) => {
          const input = {
            name: options.name,
            role: options.role,
            ...(options.school === undefined ? {} : { schoolUrn: wholeNumber('school')(options.school) }),
            ...(options.agency === undefined ? {} : { agencyId: wholeNumber('agency')(options.agency) }),
          };
          const created = await withDatabase(({ db }) =>
            createApiToken(db, input, { actor: cliActor, now: new Date() }),
          );
          print(options, created, () => [
            `Created API token "${created.name}" (${created.role}${created.schoolId !== null ? `, school ${options.school}` : ''}${created.agencyId !== null ? `, agency ${created.agencyId}` : ''}).`,
            '',
            `  ${created.token}`,
            '',
            'Copy it now: it is shown only this once (the hub stores only its hash).',
            'Use it as: Authorization: Bearer <token>',
          ]);
        },
      ),
    );

  token
    .command('list')
    .description('list API tokens with when each was last used')
    .option('--json', 'print JSON')
    .action(
      action(async (options: OutputOptions) => {
        const rows = await withDatabase(({ db }) => listApiTokens(db));
        print(options, rows, () =>
          rows.length === 0
            ? 'No API tokens. Create one with: hub token create --name frontdoor --role admin'
            : rows.map(
                (t) =>
                  `${t.name.padEnd(20)} ${t.role.padEnd(12)}${t.schoolUrn !== null ? ` school ${t.schoolUrn}` : ''}${t.agencyId !== null ? ` agency ${t.agencyId}` : ''}  created ${when(t.createdAt)} by ${t.createdBy}  last used ${when(t.lastUsedAt)}${t.revokedAt ? `  REVOKED ${when(t.revokedAt)}` : ''}`,
              ),
        );
      }),
    );

  token
    .command('revoke')
    .description('revoke an API token by name (it stops working at once)')
    .argument('<name>', 'the token name')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, options: OutputOptions) => {
        await withDatabase(({ db }) => revokeApiToken(db, name, { actor: cliActor, now: new Date() }));
        print(options, { revoked: name }, () => `Revoked API token "${name}".`);
      }),
    );
}
