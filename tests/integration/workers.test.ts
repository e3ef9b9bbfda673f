import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAgendaJob } from '../../jobs/build-agenda.ts';
import { sendEmailJob } from '../../jobs/send-email.ts';
import { sweepJob } from '../../jobs/sweep.ts';
import { loadConfig } from '../../src/config.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { AppError } from '../../src/errors.ts';
import { silentLogger } from '../../src/log.ts';
import type { JobContext, JobRequest } from '../../src/queue/job.ts';
import { createWorkers, type Workers } from '../../src/queue/workers.ts';
import { seedDemo } from '../../src/seed/seed.service.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { testEnv } from '../helpers/env.ts';
import { startSmtpServer, type TestSmtpServer } from './fixtures/email-smtp-server.ts';

const HOUR = 3600_000;

/** Deletes every Redis key of one deployment's prefix: Redis "lost" without touching other tests. */
async function wipePrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl);
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
  return deleted;
}

describe('workers on PostgreSQL and Redis', () => {
  let handle: DbHandle;
  let smtp: TestSmtpServer;
  let workers: Workers;
  let clock = new Date('2027-03-01T06:00:00Z');
  const prefix = `test-workers-${randomBytes(4).toString('hex')}`;
  let config: ReturnType<typeof loadConfig>;

  beforeAll(async () => {
    handle = await createTestDatabase('postgres');
    smtp = await startSmtpServer();
    config = loadConfig({
      REDIS_URL: testEnv.redisUrl,
      SMTP_URL: smtp.url,
      PUBLIC_BASE_URL: 'https://hub.example.gov.uk',
    });
    await seedDemo(handle.db, { now: clock, actor: { kind: 'system', name: 'test' } });
    workers = await createWorkers(handle, config, { log: silentLogger, now: () => clock, prefix });
  });

  afterAll(async () => {
    await workers?.close();
    await smtp?.close();
    await handle?.close();
  });

  it('restores every due job from PostgreSQL after Redis is wiped mid-fortnight, losing nothing', async () => {
    // The first pass plans sittings and builds the first agenda: proforma requests are now due.
    await workers.runner.runOnce();
    const queued: JobRequest[] = [];
    const context: JobContext = {
      db: handle.db,
      config,
      now: () => clock,
      transport: workers.transport,
      log: silentLogger,
      enqueue: async (job) => {
        queued.push(job);
        await workers.runner.enqueue(job);
      },
    };
    // A sweep queues the next jobs in Redis... and Redis loses them all.
    clock = new Date(clock.getTime() + 3 * HOUR);
    await sweepJob.process(context, { v: 1 });
    expect(queued.length).toBeGreaterThan(0);
    const wiped = await wipePrefix(testEnv.redisUrl, prefix);
    expect(wiped).toBeGreaterThan(0);

    // Carry on for a week: the sweeper finds everything due in PostgreSQL again.
    for (let i = 0; i < 7 * 8; i++, clock = new Date(clock.getTime() + 3 * HOUR))
      await workers.runner.runOnce();
    const outbox = await handle.db
      .selectFrom('email_outbox')
      .select(['state', sql<number>`count(*)`.as('n')])
      .groupBy('state')
      .execute();
    const states = Object.fromEntries(outbox.map((r) => [r.state, Number(r.n)]));
    expect(states.sent).toBeGreaterThan(10);
    expect(states.pending ?? 0).toBe(0);
    expect(states.failed ?? 0).toBe(0);
    expect(smtp.received.length).toBe(states.sent);
    expect([...smtp.countsByMessageId().values()].every((n) => n === 1)).toBe(true);
    const stuck = await handle.db
      .selectFrom('due_tasks')
      .select('kind')
      .where('state', 'in', ['running', 'failed'])
      .execute();
    expect(stuck).toEqual([]);
    console.log(`redis wiped (${wiped} keys): ${states.sent} emails sent afterwards, 0 lost, 0 duplicates`);
  }, 120_000);

  it('runs a job delivered twice (a stalled job) only once', async () => {
    // A new sitting's agenda build falls due; deliver its job twice at once, as a stalled job can be.
    const task = await handle.db
      .selectFrom('due_tasks')
      .select(['id'])
      .where('kind', '=', 'build-agenda')
      .where('state', '=', 'pending')
      .orderBy('due_at')
      .executeTakeFirstOrThrow();
    await handle.db.updateTable('due_tasks').set({ due_at: clock }).where('id', '=', task.id).execute();
    const context: JobContext = {
      db: handle.db,
      config,
      now: () => clock,
      transport: workers.transport,
      log: silentLogger,
      enqueue: async () => {},
    };
    const results = await Promise.all([
      buildAgendaJob.process(context, { v: 1, taskId: task.id }),
      buildAgendaJob.process(context, { v: 1, taskId: task.id }),
    ]);
    expect(results.filter((r) => 'skipped' in r)).toHaveLength(1);
    const before = smtp.received.length;
    const sends = await Promise.all([
      sendEmailJob.process(context, { v: 1 }),
      sendEmailJob.process(context, { v: 1 }),
    ]);
    const sent = sends.reduce((n, s) => n + Number(s.sent), 0);
    expect(sent).toBeGreaterThan(0);
    expect(smtp.received.length - before).toBe(sent);
    expect([...smtp.countsByMessageId().values()].every((n) => n === 1)).toBe(true);
  }, 60_000);
});

describe('hub worker', () => {
  const hub = fileURLToPath(new URL('../../scripts/hub.mjs', import.meta.url));
  let handle: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    handle = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await handle?.close();
  });

  function start(env: Record<string, string>): { child: ChildProcess; output: () => string } {
    let output = '';
    const child = spawn(process.execPath, [hub, 'worker'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env },
    });
    child.stdout?.on('data', (d) => {
      output += d;
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    return { child, output: () => output };
  }

  it('starts on Redis and shuts down cleanly on SIGTERM', async () => {
    const { child, output } = start({ DATABASE_URL: handle.url as string, REDIS_URL: testEnv.redisUrl });
    const deadline = Date.now() + 30_000;
    while (!output().includes('workers started') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(output()).toContain('"runner":"bullmq"');
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(output()).toContain('stopped');
  }, 60_000);

  it('refuses to start on a Redis that may evict jobs', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const redis = spawn('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'allkeys-lru',
    ]);
    try {
      const url = `redis://127.0.0.1:${port}`;
      for (let i = 0; i < 50; i++) {
        const probe = new Redis(url, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        probe.on('error', () => {});
        const ok = await probe.connect().then(
          () => true,
          () => false,
        );
        probe.disconnect();
        if (ok) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const error = await createWorkers(handle, loadConfig({ REDIS_URL: url }), { log: silentLogger }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('invalid-config');
      expect((error as AppError).message).toContain(
        'maxmemory-policy is "allkeys-lru"'.replace(' is ', ' is '),
      );
    } finally {
      redis.kill('SIGTERM');
    }
  }, 30_000);
});
