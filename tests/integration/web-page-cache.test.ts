import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/actor.ts';
import { buildAndStoreAgenda } from '../../src/agenda/agenda.service.ts';
import type { ChangeFeed } from '../../src/db/change-feed.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { buildApp } from '../../src/web/app.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';
import { type Signed, testConfig, worldNow } from '../helpers/web-world.ts';
import { type ChairWorld, createChairWorld, storedItems } from './web-chair.world.ts';

/*
 * The page cache (src/web/page-cache.ts): a page or API read asked for again is served from memory
 * while the database is exactly as it was, with this response's CSP nonce and the session's CSRF
 * token; any commit, by anyone, and the next request sees it; a person only ever gets their own.
 */

const nonceOf = (csp: unknown) => /'nonce-([^']+)'/.exec(String(csp))?.[1] ?? '';

describe.each(engines)('the page cache on %s', (engine) => {
  let handle: DbHandle;
  let w: ChairWorld;
  let app: FastifyInstance;
  let clock = worldNow;

  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    w = await createChairWorld(handle.db);
    await buildAndStoreAgenda(handle.db, w.sitting31, { now: worldNow, actor: cliActor });
    app = await buildApp({ db: handle.db, config: testConfig, now: () => clock, logger: false });
  });
  afterAll(async () => {
    await app.close();
    await handle.close();
  });

  const page = (url: string, who: Signed = 'chair') =>
    app.inject({ url, headers: { cookie: w.sessions[who].cookie } });
  const api = (url: string, who: Signed) =>
    app.inject({ url, headers: { authorization: `Bearer ${w.bearers[who]}` } });
  const agenda = () => `/sittings/${w.sitting31}/agenda`;
  const stats = () => app.pageCache.stats();

  it("serves a page again without remaking it, with this response's nonce and the session's form token", async () => {
    const before = stats();
    const first = await page(agenda());
    const second = await page(agenda());
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(stats().misses - before.misses).toBe(1);
    expect(stats().hits - before.hits).toBe(1);

    const [n1, n2] = [
      nonceOf(first.headers['content-security-policy']),
      nonceOf(second.headers['content-security-policy']),
    ];
    expect(n1).not.toBe('');
    expect(n2).not.toBe(n1);
    expect(first.body).toContain(`nonce="${n1}"`);
    expect(second.body).toContain(`nonce="${n2}"`);
    expect(second.body).not.toContain(n1);
    expect(second.body.replaceAll(n2, 'N')).toBe(first.body.replaceAll(n1, 'N'));
    expect(second.body).toContain(`value="${w.sessions.chair.csrf}"`);
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(second.headers['cache-control']).toBe('no-store');
  });

  it('shows a change made elsewhere at once: any commit makes what was remembered unreachable', async () => {
    expect((await page(agenda())).body).not.toContain('Renamed Primary');
    // Not through the app: as another process (a worker, an import) would write it.
    await handle.db
      .updateTable('schools')
      .set({ name: 'Renamed Primary' })
      .where('id', '=', w.schools.A.id)
      .execute();
    const before = stats();
    const after = await page(agenda());
    expect(after.body).toContain('Renamed Primary');
    expect(stats().misses - before.misses).toBe(1);
  });

  it('gives each person only their own response, on pages and in the API', async () => {
    const chair = await page(agenda(), 'chair');
    const admin = await page(agenda(), 'admin');
    expect(chair.body).toContain('chair ');
    expect(admin.body).toContain('admin ');
    expect(admin.body).not.toContain(w.sessions.chair.csrf);

    const a1 = await api('/api/v1/requests', 'schoolA');
    const b1 = await api('/api/v1/requests', 'schoolB');
    const a2 = await api('/api/v1/requests', 'schoolA');
    expect(a1.statusCode).toBe(200);
    expect(b1.statusCode).toBe(200);
    const schoolsOf = (body: string) =>
      new Set(
        (JSON.parse(body) as { items: Array<{ school: { urn: number } }> }).items.map((r) => r.school.urn),
      );
    expect([...schoolsOf(a1.body)]).toEqual([w.schools.A.urn]);
    expect([...schoolsOf(b1.body)]).toEqual([w.schools.B.urn]);
    expect(a2.body).toBe(a1.body);
  });

  it('remembers only successful responses', async () => {
    const before = stats();
    expect((await page('/sittings/999999/agenda')).statusCode).toBe(404);
    expect((await page('/sittings/999999/agenda')).statusCode).toBe(404);
    expect(stats().hits).toBe(before.hits);
    expect(stats().entries).toBe(before.entries);
  });

  it('remakes a page when the minute changes (pages also say what the clock says)', async () => {
    await page(agenda());
    const before = stats();
    await page(agenda());
    expect(stats().hits - before.hits).toBe(1);
    clock = new Date(worldNow.getTime() + 60_000);
    await page(agenda());
    expect(stats().misses - before.misses).toBe(1);
  });

  it('shows a person their own change on the very next page, before the change is announced', async () => {
    // A change feed whose NOTIFYs have not arrived yet: only this process's own writes move it.
    let count = 1;
    const changes: ChangeFeed = {
      generation: () => count,
      noteWrite: () => void count++,
      close: async () => {},
    };
    const fed = await buildApp({
      db: handle.db,
      config: testConfig,
      now: () => clock,
      logger: false,
      changes,
    });
    try {
      const cookie = w.sessions.chair.cookie;
      const view = () => fed.inject({ url: agenda(), headers: { cookie } });
      await view();
      expect((await view()).body).not.toContain('Deferred by the chair');
      expect(fed.pageCache.stats().hits).toBe(1);
      const item = (await storedItems(handle.db, w.sitting31))['FAM-E'];
      const deferred = await fed.inject({
        method: 'POST',
        url: `${agenda()}/items/${item?.id}/defer`,
        headers: { cookie },
        payload: { _csrf: w.sessions.chair.csrf, reason: 'Family asked to wait' },
      });
      expect(deferred.statusCode).toBe(303);
      expect((await view()).body).toContain('Family asked to wait');
    } finally {
      await fed.close();
    }
  });

  it('can be turned off (PAGE_CACHE_MB=0)', async () => {
    const off = await buildApp({
      db: handle.db,
      config: { ...testConfig, pageCacheBytes: 0 },
      now: () => clock,
      logger: false,
    });
    try {
      for (let i = 0; i < 2; i++)
        expect(
          (await off.inject({ url: agenda(), headers: { cookie: w.sessions.chair.cookie } })).statusCode,
        ).toBe(200);
      expect(off.pageCache.stats()).toEqual({ hits: 0, misses: 0, entries: 0, bytes: 0 });
    } finally {
      await off.close();
    }
  });
});
