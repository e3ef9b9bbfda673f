import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { cliActor } from '../actor.ts';
import { parseAgendaInput } from '../agenda/agenda.input.ts';
import { reasonLabels, renderAgendaCsv, renderAgendaHtml } from '../agenda/agenda.render.ts';
import { type BuildAgendaResult, buildAndStoreAgenda, getAgendaView } from '../agenda/agenda.service.ts';
import { type Agenda, buildAgenda } from '../domain/agenda.ts';
import { withDatabase } from './context.ts';
import { invalidOption, readJsonInput } from './input.ts';
import { action, type OutputOptions, print } from './output.ts';

interface AgendaOptions extends OutputOptions {
  input?: string;
  sitting?: string;
  build?: boolean;
  format?: string;
}

export function registerAgendaCommands(program: Command): void {
  program
    .command('agenda')
    .description(
      "build a sitting's agenda: a dry run from a JSON file (--input, no database), or a stored sitting (--sitting)",
    )
    .option('--input <file>', 'dry run: sitting, policy and candidate requests as JSON ("-" for stdin)')
    .option('--sitting <id>', 'a stored sitting: show its agenda')
    .option(
      '--build',
      'with --sitting: build or rebuild the agenda first (a published one only reports changes)',
    )
    .option('--format <format>', 'with --sitting: html (printable A4), csv or json')
    .option('--json', 'print JSON')
    .action(
      action(async (options: AgendaOptions) => {
        if ((options.input === undefined) === (options.sitting === undefined)) {
          throw invalidOption('input', 'give either --input <file> (dry run) or --sitting <id>');
        }
        if (options.input !== undefined) {
          if (options.build || options.format)
            throw invalidOption('input', '--build and --format need --sitting');
          const agenda = buildAgenda(parseAgendaInput(await readJsonInput(options.input)));
          print(options, agenda, () => describeAgenda(agenda));
          return;
        }
        const sittingId = Number(options.sitting);
        if (!Number.isInteger(sittingId) || sittingId <= 0)
          throw invalidOption('sitting', 'must be a sitting id (a whole number)');
        const format = options.format ?? (options.json ? 'json' : undefined);
        if (format !== undefined && !['html', 'csv', 'json'].includes(format)) {
          throw invalidOption('format', 'must be html, csv or json');
        }
        await withDatabase(async ({ db }) => {
          const now = new Date();
          const built = options.build
            ? await buildAndStoreAgenda(db, sittingId, { now, actor: cliActor })
            : null;
          const view = await getAgendaView(db, sittingId);
          if (format === 'html') process.stdout.write(renderAgendaHtml(view, now));
          else if (format === 'csv') process.stdout.write(renderAgendaCsv(view));
          else if (format === 'json')
            process.stdout.write(`${JSON.stringify({ build: built, agenda: view }, null, 2)}\n`);
          else {
            const zone = view.timezone;
            const t = (iso: string) =>
              DateTime.fromISO(iso, { setZone: true }).setZone(zone).toFormat('HH:mm');
            print(options, null, () => [
              ...(built ? [describeBuild(built)] : []),
              `${view.hubName}, ${view.date} (${view.status}): ${view.items.length} item(s), ${view.deferred.length} deferred`,
              ...view.items.map(
                (i) =>
                  `  ${t(i.startsAt)}-${t(i.endsAt)}  item ${i.id}  ${i.familyReference}  ${i.requests.map((r) => r.reference).join(', ')}${i.flags.length ? `  [${i.flags.join(', ')}]` : ''}${i.pinned ? '  (pinned)' : ''}`,
              ),
              ...view.deferred.map((d) => `  deferred  ${d.reference}  ${reasonLabels[d.reason]}`),
            ]);
          }
        });
      }),
    );
}

function describeAgenda(agenda: Agenda): string[] {
  const time = (iso: string) => DateTime.fromISO(iso, { setZone: true }).toFormat('HH:mm');
  return [
    `${agenda.items.length} item(s), ${agenda.deferred.length} request(s) deferred`,
    ...agenda.items.map(
      (i) =>
        `  slot ${i.slot}  ${time(i.startsAt)}-${time(i.endsAt)}  ${i.familyId}: ${i.requestIds.join(', ')}${i.flags.length ? `  [${i.flags.join(', ')}]` : ''}`,
    ),
    ...agenda.deferred.map((d) => `  deferred  ${d.requestId}  ${d.reason}`),
  ];
}

function describeBuild(result: BuildAgendaResult): string {
  if (result.kind === 'built') return result.changed ? 'Agenda built.' : 'Agenda rebuilt: nothing changed.';
  return result.changes.length === 0
    ? 'The agenda is published and frozen; a rebuild would change nothing.'
    : `The agenda is published and frozen; a rebuild would change ${result.changes.length} request(s):\n${result.changes
        .map((c) => `  ${c.requestId}: ${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)}`)
        .join('\n')}`;
}
