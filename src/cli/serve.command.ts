import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { openChangeFeed } from '../db/change-feed.ts';
import { openDatabase } from '../db/client.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { createLogger } from '../log.ts';
import { remoteEmailKicker } from '../queue/workers.ts';
import { buildApp } from '../web/app.ts';
import { changeFeedLog, listenUntilStopped, outboxFolder } from './listen.ts';
import { action } from './output.ts';

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('run the web application and JSON API (PORT, default 3000); migrates the database first')
    .option('--host <host>', 'address to listen on (default 0.0.0.0 in production, else 127.0.0.1)')
    .option('--trust-proxy', 'trust X-Forwarded-For from any proxy in front (TRUST_PROXY says which)')
    .action(
      action(async (options: { host?: string; trustProxy?: boolean }) => {
        const config = loadConfig();
        const handle = openDatabase(config);
        await migrateToLatest(handle.db);
        const log = createLogger(config.logLevel, 'web');
        const kicker = remoteEmailKicker(config, log);
        const changes = await openChangeFeed(handle, { onStateChange: changeFeedLog(log) });
        const app = await buildApp({
          db: handle.db,
          config,
          trustProxy: options.trustProxy,
          emailQueued: kicker.kick,
          changes,
        });
        app.addHook('onClose', kicker.close);
        const host = options.host ?? (config.production ? '0.0.0.0' : '127.0.0.1');
        await listenUntilStopped(app, {
          host,
          port: config.port,
          log: app.log,
          stoppingMessage: 'stopping: finishing requests in flight',
          release: async () => {
            await changes.close();
            await handle.close();
          },
        });
        const outbox = outboxFolder(config);
        process.stderr.write(
          `Early Help allocations hub: listening on http://${host}:${config.port} (database: ${handle.engine}). ` +
            `Sign in at ${config.publicBaseUrl}/sign-in${config.smtpUrl === null ? `; emails are written to ${outbox} by the workers` : ''}.\n`,
        );
      }),
    );
}
