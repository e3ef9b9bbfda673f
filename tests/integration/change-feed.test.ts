import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/actor.ts';
import { buildAndStoreAgenda } from '../../src/agenda/agenda.service.ts';
import { type ChangeFeed, openChangeFeed } from '../../src/db/change-feed.ts';
import { buildApp } from '../../src/web/app.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';
import { testConfig, worldNow } from '../helpers/web-world.ts';
import { type ChairWorld, createChairWorld } from './web-chair.world.ts';

/*
 * The change feed on the real engines: every commit to what people read is heard (from another
 * connection too), what is not shown on remembered pages is not announced, and the web uses it to
 * serve sessions and pages without the database while nothing has changed, yet a sign-out or a
 * change made by another web process shows at once.
 */

const beatMs = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the feed vouches for a count other than `from` (a NOTIFY is delivered after commit). */
async function nextGeneration(feed: ChangeFeed, from: number | null): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const g = feed.generation();
    if (g !== null && g !== from) return g;
    await sleep(10);
  }
  throw new Error(`the feed stayed at ${from}`);
}

async function vouching(feed: ChangeFeed): Promise<number> {
  return nextGeneration(feed, null);
}

describe.each(engines)('the change feed on %s', (engine) => {
  let handle: Awaited<ReturnType<typeof createTestDatabase>>;
  let w: ChairWorld;
  let feed: ChangeFeed;

  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    w = await createChairWorld(handle.db);
    await buildAndStoreAgenda(handle.db, w.sitting31, { now: worldNow, actor: cliActor });
    feed = await openChangeFeed(handle, { beatMs });
  });
  afterAll(async () => {
    await feed.close();
    await handle.close();
  });

  it('hears a commit to a table people read, and not what no remembered page shows', async () => {
    const start = await vouching(feed);
    await handle.db
      .updateTable('schools')
      .set({ name: 'Heard Academy' })
      .where('id', '=', w.schools.A.id)
      .execute();
    const afterSchool = await nextGeneration(feed, start);
    expect(afterSchool).toBe(start + 1);

    // Not announced: the audit log, due tasks, a session's activity stamp, a token's last use.
    await sql`update sessions set last_seen_at = last_seen_at`.execute(handle.db);
    await sql`update api_tokens set last_used_at = created_at`.execute(handle.db);
    await sql`delete from due_tasks`.execute(handle.db);
    await sleep(beatMs * 3);
    expect(feed.generation()).toBe(afterSchool);

    // A rolled-back change is never announced; a transaction touching three tables is three.
    await handle.db
      .transaction()
      .execute(async (trx) => {
        await trx.updateTable('hubs').set({ name: 'Never' }).execute();
        throw new Error('roll back');
      })
      .catch(() => {});
    await sleep(beatMs * 2);
    expect(feed.generation()).toBe(afterSchool);
    await handle.db.transaction().execute(async (trx) => {
      await trx.updateTable('hubs').set({ name: 'Test hub' }).where('id', '=', w.hubId).execute();
      await trx.updateTable('schools').set({ name: 'School A' }).where('id', '=', w.schools.A.id).execute();
      await trx.updateTable('schools').set({ name: 'School A' }).where('id', '=', w.schools.A.id).execute();
      await trx
        .updateTable('users')
        .set({ display_name: 'chair again' })
        .where('id', '=', w.users.chair)
        .execute();
    });
    await sleep(beatMs * 2);
    expect(feed.generation()).toBe(afterSchool + 3);
  });

  it('announces every table, or names it as not shown on remembered pages', async () => {
    const { rows } = await sql<{ table_name: string }>`
      select c.relname as table_name from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r'
        and not exists (select 1 from pg_trigger t where t.tgrelid = c.oid and t.tgname = 'hub_changes')
      order by 1`.execute(handle.db);
    expect(rows.map((r) => r.table_name)).toEqual([
      'audit_log',
      'due_tasks',
      'email_outbox',
      'idempotency_keys',
      'kysely_migration',
      'kysely_migration_lock',
      'sign_in_tokens',
    ]);
  });

  it.runIf(engine === 'postgres')(
    'hears another connection, and stops vouching when its own is cut',
    async () => {
      const start = await vouching(feed);
      const other = new pg.Client({ connectionString: handle.url as string });
      await other.connect();
      try {
        await other.query('update needs set label = label');
        expect(await nextGeneration(feed, start)).toBe(start + 1);
        // Cut the listening connections from the server side, watching what a feed says.
        const states: boolean[] = [];
        const watched = await openChangeFeed(handle, { beatMs, onStateChange: (live) => states.push(live) });
        try {
          const before = await vouching(watched);
          await other.query(
            `select pg_terminate_backend(pid) from pg_stat_activity
             where datname = current_database() and query ilike 'listen%'`,
          );
          // It stops vouching, listens again by itself, and never vouches for a count from before.
          for (let i = 0; i < 200 && states.length < 3; i++) await sleep(10);
          expect(states).toEqual([true, false, true]);
          expect(watched.generation()).toBeGreaterThan(before);
          expect(await vouching(feed)).toBeGreaterThan(start + 1);
        } finally {
          await watched.close();
        }
      } finally {
        await other.end();
      }
    },
  );

  describe('in the web', () => {
    let app: FastifyInstance;
    let other: FastifyInstance;
    let otherFeed: ChangeFeed;

    beforeAll(async () => {
      app = await buildApp({
        db: handle.db,
        config: testConfig,
        now: () => worldNow,
        logger: false,
        changes: feed,
      });
      // A second web process over the same database, with its own feed.
      otherFeed = await openChangeFeed(handle, { beatMs });
      other = await buildApp({
        db: handle.db,
        config: testConfig,
        now: () => worldNow,
        logger: false,
        changes: otherFeed,
      });
    });
    afterAll(async () => {
      await app.close();
      await other.close();
      await otherFeed.close();
    });

    const agenda = () => `/sittings/${w.sitting31}/agenda`;

    it('serves a remembered page keyed by the count, and shows a change from another process once heard', async () => {
      await vouching(feed);
      const cookie = w.sessions.chair.cookie;
      await app.inject({ url: agenda(), headers: { cookie } });
      const before = app.pageCache.stats();
      const again = await app.inject({ url: agenda(), headers: { cookie } });
      expect(again.statusCode).toBe(200);
      expect(app.pageCache.stats().hits).toBe(before.hits + 1);

      const g = feed.generation();
      await handle.db
        .updateTable('schools')
        .set({ name: 'Elsewhere Primary' })
        .where('id', '=', w.schools.A.id)
        .execute();
      await nextGeneration(feed, g);
      expect((await app.inject({ url: agenda(), headers: { cookie } })).body).toContain('Elsewhere Primary');
    });

    it('says in /readyz whether it hears every change, and never goes unready for it', async () => {
      await vouching(feed);
      expect((await app.inject({ url: '/readyz' })).json().checks.changeFeed).toEqual({ status: 'up' });
      const deaf: ChangeFeed = { generation: () => null, noteWrite: () => {}, close: async () => {} };
      const slow = await buildApp({ db: handle.db, config: testConfig, logger: false, changes: deaf });
      try {
        const ready = await slow.inject({ url: '/readyz' });
        expect(ready.statusCode).toBe(200);
        expect(ready.json().checks.changeFeed).toMatchObject({
          status: 'down',
          reason: /not hearing changes/,
        });
      } finally {
        await slow.close();
      }
    });

    it('ends a session everywhere when it is signed out in another web process', async () => {
      await vouching(feed);
      const { cookie, csrf } = w.sessions.coordinator;
      const page = () => app.inject({ url: `/sittings/${w.sitting31}/allocations`, headers: { cookie } });
      expect((await page()).statusCode).toBe(200);
      expect((await page()).statusCode).toBe(200); // the session is remembered now
      const g = feed.generation();
      const out = await other.inject({
        method: 'POST',
        url: '/sign-out',
        headers: { cookie },
        payload: { _csrf: csrf },
      });
      expect(out.statusCode).toBe(303);
      await nextGeneration(feed, g);
      const after = await page();
      expect(after.statusCode).toBe(303);
      expect(after.headers.location).toMatch(/^\/sign-in/);
    });

    it('refuses a revoked API token at once', async () => {
      await vouching(feed);
      const headers = { authorization: `Bearer ${w.bearers.schoolA}` };
      expect((await app.inject({ url: '/api/v1/requests', headers })).statusCode).toBe(200);
      expect((await app.inject({ url: '/api/v1/requests', headers })).statusCode).toBe(200);
      const g = feed.generation();
      await sql`update api_tokens set revoked_at = now() where name = 'test-schoola'`.execute(handle.db);
      await nextGeneration(feed, g);
      expect((await app.inject({ url: '/api/v1/requests', headers })).statusCode).toBe(401);
    });
  });
});
