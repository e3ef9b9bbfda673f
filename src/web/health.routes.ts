import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';

/*
 * /healthz: the process is up (no dependency checked: a load balancer restarting a web process
 * because the database blinked would make things worse). /readyz: the database answers, and Redis
 * when configured; 503 `degraded` naming the dependency and the reason when one does not. The
 * change feed is reported but never makes a process unready: without it every page is read from the
 * database, slower but still correct.
 */

export type DependencyCheck =
  | { status: 'up' }
  | { status: 'down'; reason: string }
  | { status: 'not-configured' };

const timeoutMs = 2000;

async function within<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function check(run: () => Promise<unknown>, what: string): Promise<DependencyCheck> {
  try {
    await within(run(), what);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', reason: error instanceof Error ? error.message : String(error) };
  }
}

export function registerHealthRoutes(app: FastifyInstance, redis: Redis | null): void {
  app.get('/healthz', { config: { access: 'static' } }, async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );
  app.get('/readyz', { config: { access: 'static' } }, async (_request, reply) => {
    const [database, redisCheck] = await Promise.all([
      check(() => sql`select 1`.execute(app.deps.db), 'the database'),
      redis === null
        ? Promise.resolve({ status: 'not-configured' } as const)
        : check(() => redis.ping(), 'Redis'),
    ]);
    const changes = app.deps.changes;
    const changeFeed: DependencyCheck =
      changes === null
        ? { status: 'not-configured' }
        : changes.generation() !== null
          ? { status: 'up' }
          : { status: 'down', reason: 'not hearing changes: every page is read from the database' };
    const down = [
      ...(database.status === 'down' ? [`database: ${database.reason}`] : []),
      ...(redisCheck.status === 'down' ? [`redis: ${redisCheck.reason}`] : []),
    ];
    return reply
      .status(down.length === 0 ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({
        status: down.length === 0 ? 'ready' : 'degraded',
        ...(down.length === 0 ? {} : { reason: down.join('; ') }),
        checks: { database, redis: redisCheck, changeFeed },
      });
  });
}
