import { Redis } from 'ioredis';
import { AppError } from '../errors.ts';

/**
 * A Redis connection for BullMQ. Workers must use `maxRetriesPerRequest: null` (BullMQ's blocking
 * commands would otherwise fail during a Redis restart); producers may fail fast instead.
 */
export function redisConnection(url: string, options: { worker: boolean }): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: options.worker ? null : 3,
    enableReadyCheck: true,
    lazyConnect: false,
  });
  // Without a listener an 'error' event would crash the process; ioredis reconnects by itself.
  redis.on('error', () => {});
  return redis;
}

export type EvictionCheck = { kind: 'ok'; policy: string } | { kind: 'unchecked'; reason: string };

/**
 * BullMQ keeps jobs as Redis keys; an evicting maxmemory-policy silently drops them. Refuses to
 * start when the policy is known and is not `noeviction`; managed Redis that forbids CONFIG GET is
 * reported as unchecked (the sweeper still restores lost jobs from PostgreSQL).
 */
export async function checkEvictionPolicy(redis: Redis): Promise<EvictionCheck> {
  let reply: unknown;
  try {
    reply = await redis.config('GET', 'maxmemory-policy');
  } catch (error) {
    return { kind: 'unchecked', reason: `CONFIG GET is not allowed here (${(error as Error).message})` };
  }
  const policy = Array.isArray(reply) ? String(reply[1] ?? '') : '';
  if (policy === '') return { kind: 'unchecked', reason: 'Redis did not report its maxmemory-policy' };
  if (policy !== 'noeviction') {
    throw new AppError(
      'invalid-config',
      `Redis maxmemory-policy is "${policy}": it may evict queued jobs. Set "maxmemory-policy noeviction" on the Redis server (redis.conf or CONFIG SET) and start again.`,
      { issues: [{ field: 'REDIS_URL', message: `maxmemory-policy is ${policy}, must be noeviction` }] },
    );
  }
  return { kind: 'ok', policy };
}
