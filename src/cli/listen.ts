import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';

/**
 * Listens on `host`:`port` until SIGTERM or SIGINT, then stops in order: the app first (requests in
 * flight finish), then `release` (workers, database), and exits 0; a second signal exits 1 at once.
 * When the port cannot be taken, `release` runs and AppError('unavailable') is thrown.
 */
export async function listenUntilStopped(
  app: FastifyInstance,
  options: {
    host: string;
    port: number;
    log: { info(details: object, message: string): void };
    /** Logged when a signal arrives, e.g. `stopping: finishing requests in flight`. */
    stoppingMessage: string;
    release: () => Promise<void>;
  },
): Promise<void> {
  const { host, port, log, release } = options;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1); // a second signal: stop now
    stopping = true;
    log.info({ signal }, options.stoppingMessage);
    try {
      await app.close();
      await release();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  try {
    await app.listen({ port, host });
  } catch (error) {
    await release();
    throw new AppError('unavailable', `Cannot listen on ${host}:${port}: ${String(error)}`, { cause: error });
  }
}

/** The folder the embedded transport writes `.eml` files to, as a person would type it from here. */
export function outboxFolder(config: Readonly<Config>): string {
  return path.join(path.relative(process.cwd(), config.dataDir) || '.', 'outbox');
}

/** Logs the change feed starting and stopping to vouch (a stop is a warning: pages are read afresh). */
export function changeFeedLog(log: {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}): (live: boolean, reason: string) => void {
  return (live, reason) =>
    live
      ? log.info({ reason }, 'change feed: hearing every change; remembered pages in use')
      : log.warn({ reason }, 'change feed: not hearing changes; every page read from the database');
}
