import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { buildApp } from '../../src/web/app.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';
import { testEnv } from '../helpers/env.ts';
import { currentNavigation } from '../helpers/navigation.ts';
import { sessionPages, useWebApp } from '../helpers/web-app.ts';
import { createWorld, type Signed, testConfig, type World } from '../helpers/web-world.ts';

describe.each(engines)('pages on %s', (engine) => {
  let handle: DbHandle, world: World, app: FastifyInstance;
  useWebApp(engine, createWorld, (opened) => ({ handle, world, app } = opened));
  const { page } = sessionPages(() => ({ app, world }));

  it('sends visitors to sign in, and remembers where they were going', async () => {
    expect((await page('/')).headers.location).toBe('/sign-in');
    const r = await page('/requests?status=open');
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/sign-in?next=%2Frequests%3Fstatus%3Dopen');
    const signIn = await page('/sign-in?next=%2Frequests%3Fstatus%3Dopen');
    expect(signIn.body).toContain('name="next" value="/requests?status=open"');
    // Only same-site paths survive.
    expect((await page('/sign-in?next=//evil.example/x')).body).not.toContain('name="next"');
  });

  it('shows each role its home page and navigation', async () => {
    const school = await page('/', 'schoolA');
    expect(school.statusCode).toBe(200);
    expect(school.body).toContain('Proformas to complete');
    expect(school.body).toContain(`/proformas/${world.proformas.A}`);
    expect(school.body).not.toContain(`/proformas/${world.proformas.B}`);
    expect(school.body).toContain('Your requests');
    expect(school.body).toContain('Sign out');
    const agency = await page('/', 'agencyB');
    expect(agency.body).toContain('Requests allocated to you');
    expect(agency.body).toContain('EH-2027-0002');
    expect(agency.body).not.toContain('EH-2027-0001');
    const admin = await page('/', 'admin');
    expect(admin.body).toContain('hub token create');
    expect(admin.body).toContain('href="/api/docs"');
  });

  it("marks each page's own section in the navigation, once", async () => {
    const cases: Array<[Signed, string, string]> = [
      ['schoolA', '/', 'Home (page)'],
      ['schoolA', '/requests', 'Your requests (page)'],
      ['schoolA', `/requests/${world.requests.A}`, 'Your requests (true)'],
      ['schoolA', `/proformas/${world.proformas.A}`, 'Your requests (true)'],
      ['chair', '/sittings', 'Sittings (page)'],
      ['chair', `/sittings/${world.sittingId}/agenda`, 'Sittings (true)'],
      ['coordinator', `/proformas/${world.proformas.A}`, 'Requests (true)'],
      ['agencyA', '/agency/capacity', 'Your cases and places (true)'],
      ['agencyA', `/requests/${world.requests.A}`, 'Your allocations (true)'],
      ['admin', '/admin/hubs', 'Admin (true)'],
      ['admin', '/admin', 'Admin (page)'],
    ];
    for (const [who, url, current] of cases) {
      const r = await page(url, who);
      expect(r.statusCode, `${who} ${url}`).toBe(200);
      expect(currentNavigation(r.body), `${who} ${url}`).toEqual([current]);
    }
  });

  it("lists a school's own requests with their sitting and slot in local time", async () => {
    const r = await page('/requests', 'schoolA');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('EH-2027-0001');
    expect(r.body).toContain('EH-2027-0003');
    expect(r.body).not.toContain('EH-2027-0002');
    expect(r.body).toContain('Wednesday 17 March 2027, 10:30 to 11:00');
    expect(r.body).toContain('Not on an agenda yet');
    const filtered = await page('/requests?status=closed', 'coordinator');
    expect(filtered.body).toContain('There are no requests yet.');
  });

  it("shows a request's details to those in scope and a plain 404 to everyone else", async () => {
    const own = await page(`/requests/${world.requests.A}`, 'schoolA');
    expect(own.statusCode).toBe(200);
    expect(own.body).toContain('Complete the proforma');
    expect(own.body).toContain('Family Support North');
    const other = await page(`/requests/${world.requests.B}`, 'schoolA');
    const missing = await page('/requests/999999', 'schoolA');
    const junk = await page('/requests/abc', 'schoolA');
    for (const r of [other, missing, junk]) {
      expect(r.statusCode).toBe(404);
      expect(r.body).toContain('Page not found');
    }
  });

  it('answers unknown pages with the GOV.UK 404 page and unknown API routes with problem+json', async () => {
    const html = await page('/no-such-page', 'chair');
    expect(html.statusCode).toBe(404);
    expect(html.body).toContain('Page not found');
    expect(html.body).toContain('Sign out'); // still knows who you are
    const api = await app.inject({ url: '/api/v1/nothing' });
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toContain('application/problem+json');
  });

  it('serves GOV.UK Frontend from the npm package, and nothing else from node_modules', async () => {
    const css = await app.inject({ url: '/assets/govuk-frontend.min.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toContain('text/css');
    const font = await app.inject({ url: '/assets/fonts/bold-b542beb274-v2.woff2' });
    expect(font.statusCode).toBe(200);
    expect(String(font.headers['cache-control'])).toContain('immutable');
    expect((await app.inject({ url: '/assets/hub.mjs' })).headers['content-type']).toContain('javascript');
    for (const bad of [
      '/assets/../package.json',
      '/assets/template.njk',
      '/assets/fonts/../../../../package.json',
    ])
      expect((await app.inject({ url: bad })).statusCode).toBe(404);
  });

  it('reports health and readiness', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: {
        database: { status: 'up' },
        redis: { status: 'not-configured' },
        changeFeed: { status: 'not-configured' },
      },
    });
  });
});

describe('readiness with Redis', () => {
  let handle: DbHandle;

  beforeAll(async () => {
    handle = await createTestDatabase(engines[0] ?? 'pglite');
  });
  afterAll(async () => {
    await handle.close();
  });

  it('is ready when Redis answers, and degraded with the reason when it does not', async () => {
    const up = new Redis(testEnv.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    const upApp = await buildApp({ db: handle.db, config: testConfig, logger: false, redis: up });
    const ready = await upApp.inject({ url: '/readyz' });
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { redis: { status: 'up' } } });
    await upApp.close();
    up.disconnect();

    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    down.on('error', () => {});
    const downApp = await buildApp({ db: handle.db, config: testConfig, logger: false, redis: down });
    const degraded = await downApp.inject({ url: '/readyz' });
    expect(degraded.statusCode).toBe(503);
    expect(degraded.json()).toMatchObject({
      status: 'degraded',
      reason: expect.stringContaining('redis:'),
      checks: { database: { status: 'up' }, redis: { status: 'down' } },
    });
    // The process itself is still up.
    expect((await downApp.inject({ url: '/healthz' })).statusCode).toBe(200);
    await downApp.close();
    down.disconnect();
  });

  it('opens its own Redis client from REDIS_URL (rate limits shared across processes) and closes it', async () => {
    const config = loadConfig({
      LOG_LEVEL: 'silent',
      PUBLIC_BASE_URL: 'http://hub.test',
      REDIS_URL: testEnv.redisUrl,
    });
    const app = await buildApp({ db: handle.db, config, logger: false });
    let body: { status?: string } = {};
    for (let i = 0; i < 50 && body.status !== 'ready'; i++) {
      body = (await app.inject({ url: '/readyz' })).json();
      if (body.status !== 'ready') await new Promise((r) => setTimeout(r, 50));
    }
    expect(body.status).toBe('ready');
    await app.close();
  });
});
