import type { Command } from 'commander';
import { cliActor } from '../actor.ts';
import { AppError } from '../errors.ts';
import { type ImportKind, importRows } from '../import/import.service.ts';
import { readRows } from '../import/read.ts';
import { withDatabase } from './context.ts';
import { action, type OutputOptions, print } from './output.ts';
import { progressReporter } from './progress.ts';

const kinds: ImportKind[] = ['schools', 'agencies', 'requests'];

export function registerImportCommands(program: Command): void {
  program
    .command('import')
    .description('import schools, agencies or requests from CSV or JSON: all rows or none')
    .argument('<kind>', kinds.join(' | '))
    .argument('<file>', 'a .csv file with a header row, or a .json array of objects with the same keys')
    .option('--create-localities', 'add localities named in the file that do not exist yet')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Columns:
  schools   URN, EstablishmentName, Locality, PhaseOfEducation, Postcode, SafeguardingLeadEmails (a; b)
  agencies  Name, Kind, Specialisms (a; b), Localities (a; b), CityWide (yes/no), MinAge, MaxAge,
            Capacity, ActiveCases, ContactEmail, SchoolURN (when Kind is school)
  requests  Reference, Hub, Kind (new/review), FamilyReference, Locality, SchoolURN,
            ChildDatesOfBirth (YYYY-MM-DD; ...), Urgency (high/normal/low), Needs (code:severity; ...),
            Complex, ConsentGiven, ConsentRecordedAt, ConsentRecordedBy, ReferrerName,
            ReferrerOrganisation, ReferrerEmail, ReceivedAt, ReviewDueAt, ExternalReference`,
    )
    .action(
      action(async (kind: string, file: string, options: OutputOptions & { createLocalities?: boolean }) => {
        if (!kinds.includes(kind as ImportKind))
          throw new AppError('invalid-input', `Cannot import "${kind}": choose ${kinds.join(', ')}`, {
            issues: [{ field: 'kind', message: `must be one of ${kinds.join(', ')}` }],
          });
        const { rows } = await readRows(file);
        const progress = progressReporter();
        try {
          const summary = await withDatabase((handle) =>
            importRows(handle.db, kind as ImportKind, rows, {
              actor: cliActor,
              createLocalities: options.createLocalities ?? false,
              onProgress: progress.update,
            }),
          );
          progress.stop();
          print(options, summary, () => [
            `Imported ${summary.rows} ${kind} from ${file}: ${summary.created} new, ${summary.updated} updated.`,
            ...(summary.localitiesCreated.length
              ? [`New localities: ${summary.localitiesCreated.join(', ')}`]
              : []),
          ]);
        } finally {
          progress.stop();
        }
      }),
    );
}
