import { jobDefinitions } from '../../jobs/index.ts';
import type { Config } from '../config.ts';
import type { DbHandle } from '../db/client.ts';
import { createEmailTransport, type EmailTransport } from '../email/transport.ts';
import type { Logger } from '../log.ts';
import { checkEvictionPolicy, redisConnection } from './connection.ts';
import { createBullRunner, createInProcessRunner, type JobRunner } from './runner.ts';

export interface Workers {
  runner: JobRunner;
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
    let closed = false;
    return {
      runner,
      transport,
      async close() {
        if (closed) return;
        closed = true;
        await runner.stop();
        await transport.close();
      },
    };
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
  let closed = false;
  return {
    runner,
    transport,
    async close() {
      if (closed) return;
      closed = true;
      await runner.stop();
      await transport.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
