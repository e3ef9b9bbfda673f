import type { Command } from 'commander';
import { cliActor } from '../actor.ts';
import { loadConfig } from '../config.ts';
import { openChangeFeed } from '../db/change-feed.ts';
import { openDatabase } from '../db/client.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { hubCount } from '../demo/fortnight.repository.ts';
import { createLogger } from '../log.ts';
import { createWorkers } from '../queue/workers.ts';
import { seedDemo } from '../seed/seed.service.ts';
import { buildApp } from '../web/app.ts';
import { changeFeedLog, listenUntilStopped, outboxFolder } from './listen.ts';
import { action } from './output.ts';

export function registerStartCommands(program: Command): void {
  program
    .command('start')
    .description(
      'run the web application and the workers in one process (the embedded default: no servers needed)',
    )
    .option('--no-demo', 'do not load the demo city into an empty database')
    .action(
      action(async (options: { demo: boolean }) => {
        const config = loadConfig();
        const log = createLogger(config.logLevel, 'hub');
        // One process holds the database: embedded PGlite allows a single connection.
        const handle = openDatabase(config);
        await migrateToLatest(handle.db);
        if (options.demo && (await hubCount(handle.db)) === 0) {
          await seedDemo(handle.db, { now: new Date(), actor: cliActor });
          log.info('demo city loaded (6 localities, 30 schools, 15 agencies, 80 requests)');
        }
        const workers = await createWorkers(handle, config, { log });
        const changes = await openChangeFeed(handle, { onStateChange: changeFeedLog(log) });
        const app = await buildApp({ db: handle.db, config, emailQueued: workers.sendEmailNow, changes });
        const host = config.production ? '0.0.0.0' : '127.0.0.1';
        await listenUntilStopped(app, {
          host,
          port: config.port,
          log,
          stoppingMessage: 'stopping: finishing requests and jobs in flight',
          release: async () => {
            await workers.close();
            await changes.close();
            await handle.close();
          },
        });
        await workers.runner.start();
        const outbox = outboxFolder(config);
        process.stderr.write(
          `${[
            `Early Help allocations hub on http://${host}:${config.port} (database: ${handle.engine}; jobs: ${workers.runner.kind}).`,
            `Sign in at ${config.publicBaseUrl}/sign-in with a demo user, e.g. chair@council.example.gov.uk.`,
            config.smtpUrl === null ? `The sign-in link arrives as an .eml file in ${outbox}.` : '',
          ]
            .filter(Boolean)
            .join('\n')}\n`,
        );
      }),
    );
}
