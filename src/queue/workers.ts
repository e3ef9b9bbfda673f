import { type ConnectionOptions, Queue } from 'bullmq';
import { jobDefinitions } from '../../jobs/index.ts';
import type { Config } from '../config.ts';
import type { DbHandle } from '../db/client.ts';
import { createEmailTransport, type EmailTransport } from '../email/transport.ts';
import type { Logger } from '../log.ts';
import { checkEvictionPolicy, redisConnection } from './connection.ts';
import { createBullRunner, createInProcessRunner, type JobRunner } from './runner.ts';

export interface Workers {
  runner: JobRunner;
  /** Sends queued email now (a dispatcher pass) instead of waiting for the next sweep. */
  sendEmailNow(): void;
  transport: EmailTransport;
  /** Stops the runner (in-flight jobs finish), then closes SMTP and Redis. Idempotent. */
  close(): Promise<void>;
}

/**
 * The job processors on BullMQ when REDIS_URL is set (after checking Redis will not evict jobs),
 * or in-process otherwise: the same definitions either way. `now` is the clock (simulated in the
 * demo and tests); `prefix` separates deployments and tests sharing one Redis.
 */
export async function createWorkers(
  handle: DbHandle,
  config: Readonly<Config>,
  options: {
    log: Logger;
    now?: () => Date;
    prefix?: string;
    transport?: EmailTransport;
    sweepSeconds?: number;
  },
): Promise<Workers> {
  const transport = options.transport ?? createEmailTransport(config);
  const context = {
    db: handle.db,
    config,
    now: options.now ?? (() => new Date()),
    transport,
    log: options.log,
  };
  if (config.redisUrl === null) {
    const runner = createInProcessRunner({
      definitions: jobDefinitions,
      context,
      sweepSeconds: options.sweepSeconds,
    });
    return workersOf(runner, transport, options.log);
  }
  const connection = redisConnection(config.redisUrl, { worker: true });
  try {
    const check = await checkEvictionPolicy(connection);
    if (check.kind === 'unchecked')
      options.log.warn({ reason: check.reason }, 'Redis eviction policy not checked');
  } catch (error) {
    connection.disconnect();
    throw error;
  }
  const runner = createBullRunner({
    definitions: jobDefinitions,
    context,
    connection,
    prefix: options.prefix ?? 'hub',
    sweepSeconds: options.sweepSeconds,
  });
  return workersOf(runner, transport, options.log, async () => {
    await connection.quit().catch(() => connection.disconnect());
  });
}

/** The workers around a runner; `close` stops the runner, then closes SMTP, then `closeLast` (Redis). */
function workersOf(
  runner: JobRunner,
  transport: EmailTransport,
  log: Logger,
  closeLast: () => Promise<void> = async () => {},
): Workers {
  let closed = false;
  return {
    runner,
    transport,
    sendEmailNow: () => kick(runner, log),
    async close() {
      if (closed) return;
      closed = true;
      await runner.stop();
      await transport.close();
      await closeLast();
    },
  };
}

/** Queues a dispatcher pass (at most one per second: the job id de-duplicates). */
function kick(runner: JobRunner, log: Logger): void {
  const second = Math.floor(Date.now() / 1000);
  runner
    .enqueue({ name: 'send-email', payload: { v: 1 }, jobId: `send-email-now-${second}` })
    .then(() => (runner.kind === 'in-process' ? runner.runOnce() : undefined))
    .catch((error: unknown) => log.error({ err: (error as Error).message }, 'could not queue an email pass'));
}

/**
 * For a web process without workers of its own (`hub serve`): asks the workers on Redis to send
 * queued email now. Without Redis it does nothing (the workers' next sweep sends it).
 */
export function remoteEmailKicker(
  config: Readonly<Config>,
  log: Logger,
): { kick: () => void; close: () => Promise<void> } {
  if (config.redisUrl === null) return { kick: () => {}, close: async () => {} };
  const connection = redisConnection(config.redisUrl, { worker: false });
  const queue = new Queue('email', { connection: connection as unknown as ConnectionOptions, prefix: 'hub' });
  queue.on('error', (error) => log.error({ err: error.message }, 'email queue error'));
  return {
    kick: () => {
      const second = Math.floor(Date.now() / 1000);
      queue
        .add(
          'send-email',
          { v: 1 },
          {
            jobId: `send-email-now-${second}`,
            removeOnComplete: { age: 3600 },
            removeOnFail: { age: 86400 },
          },
        )
        .catch((error: unknown) =>
          log.error({ err: (error as Error).message }, 'could not queue an email pass'),
        );
    },
    close: async () => {
      await queue.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
