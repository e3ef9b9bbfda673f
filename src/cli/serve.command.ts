import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { AppError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { remoteEmailKicker } from '../queue/workers.ts';
import { buildApp } from '../web/app.ts';
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
        const kicker = remoteEmailKicker(config, createLogger(config.logLevel, 'web'));
        const app = await buildApp({
          db: handle.db,
          config,
          trustProxy: options.trustProxy,
          emailQueued: kicker.kick,
        });
        app.addHook('onClose', kicker.close);
        const host = options.host ?? (config.production ? '0.0.0.0' : '127.0.0.1');
        let stopping = false;
        const stop = async (signal: string) => {
          if (stopping) {
            process.exit(1); // a second signal: stop now
          }
          stopping = true;
          app.log.info({ signal }, 'stopping: finishing requests in flight');
          try {
            await app.close();
            await handle.close();
          } finally {
            process.exit(0);
          }
        };
        process.on('SIGTERM', () => void stop('SIGTERM'));
        process.on('SIGINT', () => void stop('SIGINT'));
        try {
          await app.listen({ port: config.port, host });
        } catch (error) {
          await handle.close();
          throw new AppError('unavailable', `Cannot listen on ${host}:${config.port}: ${String(error)}`, {
            cause: error,
          });
        }
        const outbox = path.join(path.relative(process.cwd(), config.dataDir) || '.', 'outbox');
        process.stderr.write(
          `Early Help allocations hub: listening on http://${host}:${config.port} (database: ${handle.engine}). ` +
            `Sign in at ${config.publicBaseUrl}/sign-in${config.smtpUrl === null ? `; emails are written to ${outbox} by the workers` : ''}.\n`,
        );
      }),
    );
}
