import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DateTime } from 'luxon';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { openMigratedPglite } from '../db/pglite-template.ts';
import { hubCount } from '../demo/fortnight.repository.ts';
import { type FortnightSummary, runFortnight } from '../demo/fortnight.service.ts';
import { createEmailTransport } from '../email/transport.ts';
import { AppError } from '../errors.ts';
import { silentLogger } from '../log.ts';
import { action, type OutputOptions, print } from './output.ts';

function human(s: FortnightSummary, where: string): string[] {
  const lines = [
    `Simulated ${s.simulated.from.slice(0, 10)} to ${s.simulated.to.slice(0, 10)} in ${s.simulated.passes} worker passes (${where}).`,
    '',
    `Sittings planned: ${s.sittings.planned}; next: ${s.sittings.next.map((n) => `${n.date} ${n.startsAt.slice(11, 16)} (${n.status})`).join(', ')}`,
    '',
    'Agendas built:',
  ];
  for (const a of s.agendas) {
    const deferred = Object.entries(a.deferred).map(([r, n]) => `${n} ${r}`);
    lines.push(
      `  ${a.date}: ${a.items} items in ${a.slotsUsed} slots (${a.requests} requests); ${a.flaggedProformaMissing} flagged proforma-missing; deferred: ${deferred.join(', ') || 'none'}`,
    );
  }
  lines.push(
    '',
    `Proformas: ${s.proformas.requested} requested, ${s.proformas.submitted} submitted, ${s.proformas.escalated} escalated`,
    '',
    'Emails:',
  );
  for (const [template, states] of Object.entries(s.emails)) {
    lines.push(
      `  ${template.padEnd(20)} ${Object.entries(states)
        .map(([state, n]) => `${n} ${state}`)
        .join(', ')}`,
    );
  }
  lines.push(
    '',
    `Lead-agency proposals: ${s.suggestions.proposals} across ${s.suggestions.sittings} sitting(s)`,
  );
  return lines;
}

export function registerDemoCommands(program: Command): void {
  program
    .command('demo')
    .description('run a whole hub cycle on a simulated clock with the demo city, and summarise it')
    .option(
      '--fortnight',
      'plan, build the next agenda, request and chase proformas, escalate, propose leads',
    )
    .option('--start <date>', 'simulated start (YYYY-MM-DD, local); default today')
    .option('--json', 'print JSON')
    .action(
      action(async (options: OutputOptions & { fortnight?: boolean; start?: string }) => {
        if (!options.fortnight)
          throw new AppError('invalid-input', 'Say which demo to run: `hub demo --fortnight`', {
            issues: [{ field: '--fortnight', message: 'is required' }],
          });
        const config = loadConfig();
        const start = options.start
          ? DateTime.fromISO(options.start, { zone: config.timezone }).set({ hour: 6 })
          : DateTime.now().setZone(config.timezone).startOf('hour');
        if (!start.isValid)
          throw new AppError('invalid-input', `--start "${options.start}" is not a date YYYY-MM-DD`, {
            issues: [{ field: '--start', message: 'must be a date YYYY-MM-DD' }],
          });
        // Embedded: a fresh demo database of its own each run. PostgreSQL: only an empty one.
        const demoDir = path.join(config.dataDir, 'demo');
        if (config.databaseUrl === null) rmSync(demoDir, { recursive: true, force: true });
        // The embedded one starts from a cached migrated copy (initdb and migrations take seconds).
        const handle =
          config.databaseUrl === null
            ? await openMigratedPglite(path.join(demoDir, 'data'), path.join(config.dataDir, 'cache'))
            : openDatabase(config);
        const demoConfig = { ...config, dataDir: demoDir };
        try {
          await migrateToLatest(handle.db);
          if (config.databaseUrl !== null && (await hubCount(handle.db)) > 0)
            throw new AppError(
              'conflict',
              'The demo needs an empty database: DATABASE_URL already has hubs. Point it at a new database.',
            );
          const summary = await runFortnight(handle, demoConfig, {
            start: start.toJSDate(),
            log: silentLogger,
            transport: createEmailTransport(demoConfig),
            onDay: options.json
              ? undefined
              : (day, passes) => process.stderr.write(`  simulated ${day} (${passes} passes)\n`),
          });
          const where =
            config.databaseUrl === null
              ? `embedded; emails in ${path.join(demoDir, 'outbox')}`
              : 'PostgreSQL';
          print(options, summary, () => human(summary, where));
        } finally {
          await handle.close();
        }
      }),
    );
}
