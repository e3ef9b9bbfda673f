import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliActor } from '../../src/actor.ts';
import { revokeApiToken } from '../../src/auth/api-token.service.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { requestDetail, requestPage } from '../../src/requests/request.schemas.ts';
import { apiRoutes } from '../../src/web/api/index.ts';
import { buildApp } from '../../src/web/app.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';
import { createWorld, type Signed, testConfig, type World, worldNow } from '../helpers/web-world.ts';

const frontDoorRequest = {
  hubId: 0,
  family: { reference: 'fam-new-1', locality: 'north' },
  schoolUrn: 100001,
  children: [{ dateOfBirth: '2015-09-01' }, { dateOfBirth: '2019-01-20' }],
  needs: [
    { code: 'parenting', severity: 3 },
    { code: 'attendance', severity: 1 },
  ],
  urgency: 'high',
  consent: { given: true, recordedAt: '2027-03-10T11:00:00Z', recordedBy: 'Front door officer' },
  referrer: { name: 'Sam Referrer', organisation: 'Health visiting', email: 'Sam@Health.test' },
  externalReference: 'LL-900001',
};

describe.each(engines)('JSON API on %s', (engine) => {
  let handle: DbHandle;
  let world: World;
  let app: FastifyInstance;

  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    world = await createWorld(handle.db);
    frontDoorRequest.hubId = world.hubId;
    app = await buildApp({ db: handle.db, config: testConfig, now: () => worldNow, logger: false });
  });
  afterAll(async () => {
    await app.close();
    await handle.close();
  });

  const as = (who: Signed) => ({ authorization: `Bearer ${world.bearers[who]}` });
  const count = async () =>
    Number(
      (await handle.db.selectFrom('requests').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow())
        .n,
    );

  it('lists only what each principal may see, newest first, with the agenda slot when known', async () => {
    const refs = async (who: Signed) => {
      const r = await app.inject({ url: '/api/v1/requests', headers: as(who) });
      expect(r.statusCode).toBe(200);
      return requestPage.parse(r.json()).items.map((i) => i.reference);
    };
    expect(await refs('coordinator')).toEqual(['EH-2027-0003', 'EH-2027-0002', 'EH-2027-0001']);
    expect(await refs('schoolA')).toEqual(['EH-2027-0003', 'EH-2027-0001']);
    expect(await refs('schoolB')).toEqual(['EH-2027-0002']);
    expect(await refs('agencyA')).toEqual(['EH-2027-0001']);
    expect(await refs('agencyB')).toEqual(['EH-2027-0002']);
    const a = requestPage.parse(
      (await app.inject({ url: '/api/v1/requests', headers: as('schoolA') })).json(),
    );
    // Slot 2 of a 09:30 sitting of 30-minute slots (GMT in March).
    expect(a.items.find((i) => i.reference === 'EH-2027-0001')?.placement).toEqual({
      sittingId: world.sittingId,
      date: '2027-03-17',
      slot: 2,
      startsAt: '2027-03-17T10:30:00+00:00',
      endsAt: '2027-03-17T11:00:00+00:00',
      sittingStatus: 'planned',
    });
  });

  it('pages with an opaque cursor until nextCursor is null, and names a bad cursor or limit', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/requests?limit=1${cursor ? `&cursor=${cursor}` : ''}`;
      const page = requestPage.parse((await app.inject({ url, headers: as('admin') })).json());
      seen.push(...page.items.map((i) => i.reference));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(['EH-2027-0003', 'EH-2027-0002', 'EH-2027-0001']);
    const bad = await app.inject({
      url: '/api/v1/requests?cursor=nonsense&limit=1000',
      headers: as('admin'),
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json().errors.map((e: { field: string }) => e.field)).toEqual(['limit']);
    const badCursor = await app.inject({ url: '/api/v1/requests?cursor=nonsense', headers: as('admin') });
    expect(badCursor.json()).toMatchObject({ status: 422, errors: [{ field: 'cursor' }] });
    const filtered = await app.inject({ url: '/api/v1/requests?status=allocated', headers: as('admin') });
    expect(filtered.json().items).toEqual([]);
  });

  it("answers another school's request exactly like a missing one", async () => {
    const own = await app.inject({ url: `/api/v1/requests/${world.requests.A}`, headers: as('schoolA') });
    expect(own.statusCode).toBe(200);
    const detail = requestDetail.parse(own.json());
    expect(detail).toMatchObject({
      reference: 'EH-2027-0001',
      children: [{ dateOfBirth: '2016-05-03' }],
      needs: [{ code: 'parenting', label: 'Parenting support', severity: 2 }],
      allocation: { agencyName: 'Family Support North', reviewDueOn: '2027-06-01' },
      proforma: { id: world.proformas.A, status: 'requested' },
    });
    const other = await app.inject({ url: `/api/v1/requests/${world.requests.B}`, headers: as('schoolA') });
    const missing = await app.inject({ url: '/api/v1/requests/999999', headers: as('schoolA') });
    expect(other.statusCode).toBe(404);
    const shape = (body: { detail: string }) => ({ ...body, detail: body.detail.replace(/\d+/, 'N') });
    expect(shape(other.json())).toEqual(shape(missing.json()));
    expect(
      (await app.inject({ url: `/api/v1/requests/${world.requests.A}`, headers: as('agencyB') })).statusCode,
    ).toBe(404);
    expect((await app.inject({ url: '/api/v1/requests/abc', headers: as('admin') })).json()).toMatchObject({
      status: 422,
      errors: [{ field: 'id' }],
    });
  });

  it('creates a request from the front door, audited, with no child data in the audit log', async () => {
    const before = await count();
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: as('admin'),
      payload: frontDoorRequest,
    });
    expect(r.statusCode).toBe(201);
    const created = requestDetail.parse(r.json());
    expect(r.headers.location).toBe(`/api/v1/requests/${created.id}`);
    expect(created).toMatchObject({
      reference: `EH-2027-${String(created.id).padStart(5, '0')}`,
      status: 'open',
      urgency: 'high',
      familyReference: 'FAM-NEW-1',
      school: { urn: 100001 },
      childCount: 2,
      consent: { given: true, recordedAt: '2027-03-10T11:00:00.000Z', recordedBy: 'Front door officer' },
      referrer: { email: 'sam@health.test' },
      receivedAt: worldNow.toISOString(),
    });
    expect(await count()).toBe(before + 1);
    const audit = await handle.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'request.created')
      .executeTakeFirstOrThrow();
    expect(audit.actor).toMatch(/^user:\d+$/);
    expect(JSON.stringify(audit.details)).not.toContain('2015-09-01');
    // The school sees it at once; the other school does not.
    expect(
      (await app.inject({ url: `/api/v1/requests/${created.id}`, headers: as('schoolA') })).statusCode,
    ).toBe(200);
    expect(
      (await app.inject({ url: `/api/v1/requests/${created.id}`, headers: as('schoolB') })).statusCode,
    ).toBe(404);
  });

  it('a retried POST with the same Idempotency-Key creates one request and returns the same response', async () => {
    const payload = { ...frontDoorRequest, externalReference: 'LL-900002' };
    const headers = { ...as('admin'), 'idempotency-key': 'c0ffee00-0000-4000-8000-000000000001' };
    const before = await count();
    const first = await app.inject({ method: 'POST', url: '/api/v1/requests', headers, payload });
    const second = await app.inject({ method: 'POST', url: '/api/v1/requests', headers, payload });
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.json()).toEqual(first.json());
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(await count()).toBe(before + 1);
    const changed = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers,
      payload: { ...payload, urgency: 'low' },
    });
    expect(changed.statusCode).toBe(422);
    expect(changed.json().errors).toEqual([
      { field: 'Idempotency-Key', message: expect.stringContaining('different body') },
    ]);
    // Keys belong to their caller: another token's same key is a new request.
    const coordinator = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: { ...as('coordinator'), 'idempotency-key': headers['idempotency-key'] },
      payload: { ...payload, externalReference: 'LL-900003' },
    });
    expect(coordinator.statusCode).toBe(201);
    expect(coordinator.json().id).not.toBe(first.json().id);
  });

  it.runIf(engine === 'postgres')('concurrent retries with one key still create one request', async () => {
    const payload = { ...frontDoorRequest, externalReference: 'LL-900010' };
    const headers = { ...as('admin'), 'idempotency-key': 'concurrent-key-1' };
    const before = await count();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        app.inject({ method: 'POST', url: '/api/v1/requests', headers, payload }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(responses.map((r) => r.json().id)).size).toBe(1);
    expect(await count()).toBe(before + 1);
  });

  it('names every bad field and writes nothing', async () => {
    const before = await count();
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: as('admin'),
      payload: {
        ...frontDoorRequest,
        externalReference: undefined,
        children: [{ dateOfBirth: '2015-02-30' }],
        needs: [{ code: 'parenting', severity: 5 }],
        consent: { given: true },
        childName: 'should be refused',
      },
    });
    expect(r.statusCode).toBe(422);
    const fields = r
      .json()
      .errors.map((e: { field: string }) => e.field)
      .sort();
    expect(fields).toEqual([
      '(root)',
      'children.0.dateOfBirth',
      'consent.recordedAt',
      'consent.recordedBy',
      'needs.0.severity',
    ]);
    const refs = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: as('admin'),
      payload: {
        ...frontDoorRequest,
        externalReference: undefined,
        hubId: 999,
        schoolUrn: 999999,
        family: { reference: 'FAM-A', locality: 'south' },
        needs: [{ code: 'unknown-need', severity: 1 }],
        children: [{ dateOfBirth: '2030-01-01' }],
      },
    });
    expect(refs.statusCode).toBe(422);
    expect(
      refs
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['children.0.dateOfBirth', 'family.locality', 'hubId', 'needs.0.code', 'schoolUrn']);
    const duplicate = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: as('admin'),
      payload: frontDoorRequest,
    });
    expect(duplicate.json()).toMatchObject({ status: 409, errors: [{ field: 'externalReference' }] });
    const badJson = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: { ...as('admin'), 'content-type': 'application/json' },
      payload: '{"hubId":',
    });
    expect(badJson.statusCode).toBeGreaterThanOrEqual(400);
    expect(badJson.headers['content-type']).toContain('application/problem+json');
    expect(await count()).toBe(before);
  });

  it('refuses schools, agencies and revoked or unknown tokens', async () => {
    const school = await app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: as('schoolA'),
      payload: frontDoorRequest,
    });
    expect(school.statusCode).toBe(403);
    const unknown = await app.inject({
      url: '/api/v1/requests',
      headers: { authorization: 'Bearer hub_nope' },
    });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.headers['www-authenticate']).toContain('Bearer');
    await revokeApiToken(handle.db, 'test-chair', { actor: cliActor, now: worldNow });
    expect((await app.inject({ url: '/api/v1/requests', headers: as('chair') })).statusCode).toBe(401);
    // A session cookie is not an API credential.
    expect(
      (await app.inject({ url: '/api/v1/requests', headers: { cookie: world.sessions.admin.cookie } }))
        .statusCode,
    ).toBe(401);
    const used = await handle.db
      .selectFrom('api_tokens')
      .select('last_used_at')
      .where('name', '=', 'test-admin')
      .executeTakeFirstOrThrow();
    expect(used.last_used_at).toEqual(worldNow);
  });

  it('lists hubs, schools and agencies in keyset pages', async () => {
    const hubs = (await app.inject({ url: '/api/v1/hubs', headers: as('schoolB') })).json();
    expect(hubs).toEqual({
      nextCursor: null,
      items: [
        expect.objectContaining({
          name: 'Test hub',
          firstSitting: '2027-03-03',
          startTime: '09:30',
          slotsPerSitting: 6,
        }),
      ],
    });
    const first = (await app.inject({ url: '/api/v1/schools?limit=1', headers: as('agencyA') })).json();
    expect(first.items).toEqual([
      { id: world.schools.A.id, urn: 100001, name: 'Abbey Primary School', locality: 'north', phase: null },
    ]);
    const second = (
      await app.inject({ url: `/api/v1/schools?limit=1&cursor=${first.nextCursor}`, headers: as('agencyA') })
    ).json();
    expect(second.items.map((s: { urn: number }) => s.urn)).toEqual([100002]);
    expect(second.nextCursor).toBeNull();
    const agencies = (await app.inject({ url: '/api/v1/agencies', headers: as('coordinator') })).json();
    expect(agencies.items.map((a: { name: string }) => a.name)).toEqual([
      'Family Support North',
      'Youth South',
    ]);
  });

  it('describes every /api/v1 route in the OpenAPI 3.1 document', async () => {
    await app.ready();
    const doc = (await app.inject({ url: '/api/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const registered = app.hubRoutes
      .filter((r) => r.url.startsWith('/api/v1/') && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(documented.sort()).toEqual(registered.sort());
    expect(documented).toHaveLength(apiRoutes.length);
    const post = doc.paths['/api/v1/requests'].post;
    expect(post.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['hubId', 'family', 'children', 'needs', 'consent', 'referrer']),
    );
    expect(post.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['201', '401', '403', '409', '422']));
    const docs = await app.inject({ url: '/api/docs' });
    expect(docs.statusCode).toBe(200);
    for (const route of apiRoutes) expect(docs.body).toContain(`id="${route.operationId}"`);
    // A page like any other: signed in, the header shows who you are and your navigation.
    const signedIn = await app.inject({ url: '/api/docs', headers: { cookie: world.sessions.admin.cookie } });
    expect(signedIn.body).toContain('action="/sign-out"');
    expect(signedIn.body).toContain('govuk-service-navigation__list');
  });
});
