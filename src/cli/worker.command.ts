import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { createLogger, silentLogger } from '../log.ts';
import { createWorkers } from '../queue/workers.ts';
import { action, type OutputOptions, print } from './output.ts';

export function registerWorkerCommands(program: Command): void {
  program
    .command('worker')
    .description('run the background jobs: plan sittings, build agendas, chase proformas, send email')
    .option('--once', 'run one sweep and every job it leads to, then exit (for cron and tests)')
    .option('--json', 'print JSON (with --once)')
    .action(
      action(async (options: OutputOptions & { once?: boolean }) => {
        const config = loadConfig();
        const log = options.json ? silentLogger : createLogger(config.logLevel, 'worker');
        const handle = openDatabase(config);
        await migrateToLatest(handle.db);
        const workers = await createWorkers(handle, config, { log });
        if (options.once) {
          try {
            const counts = await workers.runner.runOnce();
            print(options, { runner: workers.runner.kind, ...counts }, () => {
              const jobs = Object.entries(counts.completed).map(([name, n]) => `${name} ${n}`);
              return `One pass (${workers.runner.kind}): ${jobs.length ? jobs.join(', ') : 'nothing was due'}${counts.failed ? `; ${counts.failed} failed` : ''}.`;
            });
          } finally {
            await workers.close();
            await handle.close();
          }
          return;
        }
        let stopping = false;
        const stop = async (signal: string) => {
          if (stopping) return;
          stopping = true;
          log.info({ signal }, 'stopping: finishing jobs in flight');
          await workers.close();
          await handle.close();
          log.info('stopped');
          process.exit(0);
        };
        process.on('SIGTERM', () => void stop('SIGTERM'));
        process.on('SIGINT', () => void stop('SIGINT'));
        await workers.runner.start();
        log.info({ runner: workers.runner.kind }, 'workers started');
      }),
    );
}
