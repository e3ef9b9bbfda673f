import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { writeAudit } from '../../src/audit/audit.repository.ts';
import { loadConfig } from '../../src/config.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { engines } from '../helpers/database.ts';
import { testEnv } from '../helpers/env.ts';
import { sessionPages, useWebApp } from '../helpers/web-app.ts';
import { createWorld, type World, worldNow } from '../helpers/web-world.ts';

/*
 * Admin operations and access: every admin route (pages and API, enumerated from the router)
 * admits the admin and refuses chair, coordinator, school and agency; the audit log filters and
 * pages and never shows free text; failed emails can be retried (audited); due-task health; the
 * BullMQ dashboard for admins only when Redis is configured; the OpenAPI document lists the routes.
 */

async function failedEmail(db: DbHandle['db'], n: number): Promise<number> {
  const row = await db
    .insertInto('email_outbox')
    .values({
      idempotency_key: `test-failed:${n}`,
      template: 'sign-in-link',
      to_address: `person${n}@council.test`,
      params: '{}',
      scheduled_for: new Date('2027-03-14T09:00:00Z'),
      state: 'failed',
      attempts: 1,
      last_error: '550 mailbox unavailable',
      message_id: `<test-failed-${n}@hub.test>`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

describe.each(engines)('admin operations on %s', (engine) => {
  let handle: DbHandle, world: World, app: FastifyInstance;
  useWebApp(engine, createWorld, (opened) => ({ handle, world, app } = opened));
  const { page: get } = sessionPages(() => ({ app, world }), 'admin');
  const apiGet = (url: string) =>
    app.inject({ url, headers: { authorization: `Bearer ${world.bearers.admin}` } });

  it('admits only admins to every admin page and API route', async () => {
    const closure = () =>
      handle.db
        .insertInto('closures')
        .values({
          hub_id: world.hubId,
          starts_on: '2027-12-24',
          ends_on: '2027-12-24',
          reason: 'Christmas Eve',
        })
        .returning('id')
        .executeTakeFirstOrThrow()
        .then((r) => r.id);
    const paramFor = async (url: string): Promise<string> => {
      if (url.includes('/closures/')) return String(await closure());
      if (url.includes('/outbox/')) return String(await failedEmail(handle.db, 1000 + cases));
      if (url.includes('/hubs/')) return String(world.hubId);
      if (url.includes('/schools/')) return String(world.schools.B.id);
      if (url.includes('/agencies/')) return String(world.agencies.B);
      if (url.includes('/needs/')) return 'attendance';
      if (url.includes('/users/')) return String(world.users.schoolB);
      throw new Error(`No id for ${url}`);
    };
    const admin = app.hubRoutes.filter(
      (r) =>
        r.method !== 'HEAD' &&
        Array.isArray(r.access) &&
        (r.url.startsWith('/admin') ||
          (r.url.startsWith('/api/v1/') && (r.access as string[]).join() === 'admin')),
    );
    expect(admin.length).toBeGreaterThan(40);
    let cases = 0;
    const unexpected: string[] = [];
    for (const route of admin) {
      expect(route.access).toEqual(['admin']);
      const api = route.url.startsWith('/api/');
      for (const who of ['anonymous', 'chair', 'coordinator', 'schoolA', 'agencyA', 'admin'] as const) {
        const url = route.url.includes(':')
          ? route.url.replace(/:[a-zA-Z]+/, await paramFor(route.url))
          : route.url;
        const headers: Record<string, string> =
          who === 'anonymous'
            ? {}
            : api
              ? { authorization: `Bearer ${world.bearers[who]}` }
              : { cookie: world.sessions[who].cookie };
        const body =
          route.method === 'GET' || route.method === 'DELETE'
            ? undefined
            : api
              ? {}
              : { _csrf: who === 'anonymous' ? '' : world.sessions[who].csrf };
        const r = await app.inject({
          method: route.method as 'GET',
          url,
          headers,
          ...(body ? { payload: body } : {}),
        });
        cases += 1;
        const signIn = r.statusCode === 303 && String(r.headers.location).startsWith('/sign-in');
        const refused = r.statusCode === 401 || r.statusCode === 403 || signIn;
        if (who === 'admin' ? refused : !refused)
          unexpected.push(`${who} ${route.method} ${route.url}: ${r.statusCode}`);
        if (who === 'anonymous') expect(api ? r.statusCode === 401 : signIn).toBe(true);
      }
    }
    console.log(`admin access: ${admin.length} routes, ${cases} cases, ${unexpected.length} unexpected`);
    expect(unexpected).toEqual([]);
  });

  it('shows the audit log newest first, filtered, and never its free text', async () => {
    const actor = {
      kind: 'user',
      userId: world.users.chair,
      role: 'chair',
      schoolId: null,
      agencyId: null,
    } as const;
    await writeAudit(handle.db, actor, {
      action: 'request.closed',
      entity: 'request',
      entityId: world.requests.A,
      details: {
        reason: 'no-slot',
        note: 'Jane Smith moved to her aunt',
        outcome: 'jane',
        summary: 'Spoke with Jane Smith',
        sittingId: world.sittingId,
        on: '2027-03-17',
      },
    });
    await writeAudit(
      handle.db,
      { kind: 'system', name: 'planner' },
      { action: 'hub.sittings.planned', entity: 'hub', entityId: world.hubId, details: { created: 3 } },
    );
    const page = await get('/admin/audit');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/jane/i);
    expect(page.body).toContain('reason: no-slot');
    expect(page.body).toContain('note: [text hidden]');
    expect(page.body).toContain(`sittingId: ${world.sittingId}`);
    expect(page.body.indexOf('hub.sittings.planned')).toBeLessThan(page.body.indexOf('request.closed'));
    const hubOnly = await get('/admin/audit?action=hub');
    expect(hubOnly.body).toContain('hub.sittings.planned');
    expect(hubOnly.body).not.toContain('request.closed');
    const byActor = await get(`/admin/audit?actor=user:${world.users.chair}&entity=request`);
    expect(byActor.body).toContain('request.closed');
    expect(byActor.body).toContain('chair chair'); // the actor's display name
    expect((await get('/admin/audit?from=2020-01-01&to=2020-12-31')).body).toContain('No entries match.');
    const bad = await get('/admin/audit?from=2027-02-30&to=yesterday');
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('href="#from"');
    expect(bad.body).toContain('To: must be a date YYYY-MM-DD');
    expect(bad.body).toContain('value="yesterday"');

    const api = await apiGet('/api/v1/audit?limit=1&entity=request');
    expect(api.statusCode).toBe(200);
    const first = api.json();
    expect(first.items).toHaveLength(1);
    expect(first.items[0]).toMatchObject({
      action: 'request.closed',
      actorName: 'chair chair',
      details: {
        reason: 'no-slot',
        note: '[text hidden]',
        outcome: '[text hidden]',
        summary: '[text hidden]',
      },
    });
    expect(JSON.stringify(first)).not.toMatch(/jane/i);
    const all = (await apiGet('/api/v1/audit?limit=200')).json().items.map((i: { id: number }) => i.id);
    const paged: number[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const r: { items: Array<{ id: number }>; nextCursor: string | null } = (
        await apiGet(`/api/v1/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      paged.push(...r.items.map((i) => i.id));
      cursor = r.nextCursor;
    }
    expect(paged).toEqual(all);
    expect(all).toEqual([...all].sort((a, b) => b - a));
    const badApi = await apiGet('/api/v1/audit?cursor=nonsense&colour=red');
    expect(badApi.statusCode).toBe(422);
    expect(badApi.json().errors.map((e: { field: string }) => e.field)).toContain('(root)');
  });

  it('lists failed emails and retries one (audited), refusing to retry it twice', async () => {
    const id = await failedEmail(handle.db, 1);
    const page = await get('/admin/outbox?state=failed');
    expect(page.body).toContain('550 mailbox unavailable');
    expect(page.body).toContain(`action="/admin/outbox/${id}/retry"`);
    const retried = await app.inject({
      method: 'POST',
      url: `/admin/outbox/${id}/retry`,
      headers: { cookie: world.sessions.admin.cookie },
      payload: { _csrf: world.sessions.admin.csrf },
    });
    expect(retried.statusCode).toBe(303);
    expect((await get(retried.headers.location as string)).body).toContain(`Email ${id} will be sent again`);
    const row = await handle.db
      .selectFrom('email_outbox')
      .select('state')
      .where('id', '=', id)
      .executeTakeFirst();
    expect(row?.state).toBe('pending');
    const audit = await handle.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'email.retried')
      .execute();
    expect(audit.map((a) => [a.actor, a.entity_id])).toContainEqual([
      `user:${world.users.admin}`,
      String(id),
    ]);
    const again = await app.inject({
      method: 'POST',
      url: `/api/v1/outbox/${id}/retry`,
      headers: { authorization: `Bearer ${world.bearers.admin}` },
    });
    expect(again.statusCode).toBe(409);
    const listed = (await apiGet('/api/v1/outbox?state=pending')).json();
    expect(listed.counts.pending).toBeGreaterThanOrEqual(1);
    expect(listed.items.map((e: { id: number }) => e.id)).toContain(id);
    expect(listed.items[0]).not.toHaveProperty('params');
  });

  it('shows due tasks by kind and state with the failed ones and their errors', async () => {
    await handle.db
      .insertInto('due_tasks')
      .values([
        { kind: 'plan-sittings', key: 'hub:1', hub_id: world.hubId, due_at: worldNow },
        {
          kind: 'build-agenda',
          key: `sitting:${world.sittingId}`,
          sitting_id: world.sittingId,
          due_at: worldNow,
          state: 'failed',
          attempts: 5,
          last_error: 'Agenda could not be built: hub 1 is misconfigured',
        },
      ])
      .execute();
    const page = await get('/admin/queue');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Agenda could not be built: hub 1 is misconfigured');
    expect(page.body).toContain('No Redis is configured');
    expect(page.body).not.toContain('href="/admin/queues"');
    const counts = page.body.slice(
      page.body.indexOf('id="task-counts"'),
      page.body.indexOf('id="failed-tasks"'),
    );
    expect(counts).toMatch(/build-agenda<\/th>\s*(<td[^>]*>0<\/td>){3}<td[^>]*>1<\/td>/);
    expect((await get('/admin/queues')).statusCode).toBe(404);
  });

  it('describes every admin API route in the OpenAPI document', async () => {
    const doc = (await app.inject({ url: '/api/openapi.json' })).json();
    const ops: Array<[string, string]> = [
      ['/api/v1/hubs', 'post'],
      ['/api/v1/hubs/{id}', 'patch'],
      ['/api/v1/closures', 'post'],
      ['/api/v1/closures/{id}', 'delete'],
      ['/api/v1/schools', 'post'],
      ['/api/v1/schools/{id}', 'patch'],
      ['/api/v1/agencies', 'post'],
      ['/api/v1/agencies/{id}', 'patch'],
      ['/api/v1/audit', 'get'],
      ['/api/v1/outbox', 'get'],
      ['/api/v1/outbox/{id}/retry', 'post'],
    ];
    for (const [path, method] of ops) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op['x-roles']).toEqual(['admin']);
      expect(op.responses['403']).toBeDefined();
    }
    const hubBody = doc.paths['/api/v1/hubs'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(hubBody.properties)).toEqual(
      expect.arrayContaining(['rrule', 'firstSitting', 'breakAfterSlot', 'holidayPolicy', 'reminderCadence']),
    );
    expect(hubBody.additionalProperties).toBe(false);
  });
});

describe('the queue dashboard with Redis', () => {
  let handle: DbHandle, world: World, app: FastifyInstance;
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    PUBLIC_BASE_URL: 'http://hub.test',
    SESSION_SECRET: 'test-session-secret-of-at-least-32-characters',
    REDIS_URL: testEnv.redisUrl,
  });
  useWebApp(engines[0] ?? 'pglite', createWorld, (opened) => ({ handle, world, app } = opened), config);
  const { page: get } = sessionPages(() => ({ app, world }));

  it('serves bull-board to admins only, read only, under a CSP that still forbids inline script', async () => {
    const board = await get('/admin/queues', 'admin');
    expect(board.statusCode).toBe(200);
    expect(board.body).toContain('Hub queues');
    const csp = String(board.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("style-src 'self' 'unsafe-inline';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("base-uri 'self'"); // the board finds its assets through <base href>
    const elsewhere = await get('/admin', 'admin');
    expect(String(elsewhere.headers['content-security-policy'])).toMatch(
      /style-src 'self' 'nonce-[0-9a-f]+';/,
    );
    expect(elsewhere.body).toContain('href="/admin/queues"');

    const queues = await get('/admin/queues/api/queues', 'admin');
    expect(queues.statusCode).toBe(200);
    const names = (queues.json().queues as Array<{ name: string; readOnlyMode: boolean }>).map((q) => [
      q.name,
      q.readOnlyMode,
    ]);
    expect(names).toEqual(
      expect.arrayContaining([
        ['tasks', true],
        ['email', true],
      ]),
    );
    expect((await get('/admin/queues/static/favicon-32x32.png', 'admin')).statusCode).toBe(200);

    for (const who of ['chair', 'coordinator', 'schoolA', 'agencyA'] as const) {
      expect((await get('/admin/queues', who)).statusCode).toBe(403);
      expect((await get('/admin/queues/api/queues', who)).statusCode).toBe(403);
    }
    const anonymous = await get('/admin/queues/api/queues');
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe('/sign-in?next=%2Fadmin%2Fqueues%2Fapi%2Fqueues');
    const write = await app.inject({
      method: 'PUT',
      url: '/admin/queues/api/queues/email/pause',
      headers: { cookie: world.sessions.admin.cookie },
    });
    // No such route (the board is read-only): the app's not-found handling refuses the unsafe method.
    expect([403, 404]).toContain(write.statusCode);
    expect(write.headers['content-type']).toContain('text/html');
    const routes = app.hubRoutes.filter((r) => r.url.startsWith('/admin/queues'));
    expect(routes.length).toBeGreaterThan(10);
    expect(
      routes.every((r) => (r.method === 'GET' || r.method === 'HEAD') && String(r.access) === 'admin'),
    ).toBe(true);
  });
});
