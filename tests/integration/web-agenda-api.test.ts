import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { DbHandle } from '../../src/db/client.ts';
import { agendaResponse, buildResponse, changeResponse } from '../../src/web/api/agenda.api.ts';
import { hubSittingsResponse, sittingResponse } from '../../src/web/api/sittings.api.ts';
import { engines } from '../helpers/database.ts';
import { useWebApp } from '../helpers/web-app.ts';
import type { Signed } from '../helpers/web-world.ts';
import { type ChairWorld, createChairWorld, storedItems } from './web-chair.world.ts';

/*
 * The sittings and agenda API: reads for the hub's staff, build and edits for the chair and admins,
 * every refusal a problem+json naming the field, and every route in the OpenAPI document.
 */

describe.each(engines)('sittings and agenda API on %s', (engine) => {
  let handle: DbHandle, w: ChairWorld, app: FastifyInstance;
  useWebApp(engine, createChairWorld, (opened) => ({ handle, world: w, app } = opened));
  const as = (who: Signed) => ({ authorization: `Bearer ${w.bearers[who]}` });
  const get = (url: string, who: Signed = 'chair') => app.inject({ url: `/api/v1${url}`, headers: as(who) });
  const post = (url: string, body?: Record<string, unknown>, who: Signed = 'chair') =>
    app.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      headers: as(who),
      ...(body === undefined ? {} : { payload: body }),
    });
  const base = () => `/sittings/${w.sitting31}/agenda`;
  const items = () => storedItems(handle.db, w.sitting31);
  const problem = (r: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }) => {
    expect(r.headers['content-type']).toContain('application/problem+json');
    return r.json() as { status: number; detail: string; errors: Array<{ field: string; message: string }> };
  };

  it("lists a hub's sittings with moved dates and skipped rule dates, in date order", async () => {
    const r = await get(`/hubs/${w.hubId}/sittings?from=2027-03-01&to=2027-05-31`);
    expect(r.statusCode).toBe(200);
    const list = hubSittingsResponse.parse(r.json());
    expect(list.sittings.map((s) => `${s.date} ${s.status}`)).toEqual([
      '2027-03-17 planned',
      '2027-03-31 planned',
      '2027-04-15 planned',
      '2027-04-28 planned',
      '2027-05-12 cancelled',
      '2027-05-26 planned',
    ]);
    const moved = list.sittings.find((s) => s.date === '2027-04-15')!;
    expect(moved).toMatchObject({ movedFrom: '2027-04-14', movedReason: 'Hub training day' });
    expect(list.sittings[1]!.startsAt).toBe('2027-03-31T09:30:00+01:00');
    expect(list.sittings[4]!.statusReason).toBe('Cancelled by the chair: no room available');
    const east = hubSittingsResponse.parse(
      (await get(`/hubs/${w.eastHubId}/sittings?from=2027-03-01&to=2027-04-30`)).json(),
    );
    expect(east.skipped).toEqual([
      { date: '2027-03-29', reason: 'Easter Monday', cause: 'bank-holiday', movedTo: null },
    ]);
  });

  it('names a bad range and answers 404 for a missing hub', async () => {
    const bad = await get(`/hubs/${w.hubId}/sittings?from=2027-13-01&to=2027-01-01`);
    expect(bad.statusCode).toBe(422);
    expect(problem(bad).errors.map((e) => e.field)).toContain('from');
    const backwards = await get(`/hubs/${w.hubId}/sittings?from=2027-06-01&to=2027-01-01`);
    expect(problem(backwards).errors.map((e) => e.field)).toEqual(['to']);
    const tooLong = await get(`/hubs/${w.hubId}/sittings?from=2027-01-01&to=2031-01-01`);
    expect(problem(tooLong).errors.map((e) => e.field)).toEqual(['to']);
    expect((await get('/hubs/999999/sittings')).statusCode).toBe(404);
  });

  it('gets one sitting with its slots in local time', async () => {
    const r = await get(`/sittings/${w.sitting31}`, 'coordinator');
    expect(r.statusCode).toBe(200);
    const s = sittingResponse.parse(r.json());
    expect(s.slots.map((x) => x.startsAt.slice(11, 16))).toEqual([
      '09:30',
      '10:00',
      '10:30',
      '11:15',
      '11:45',
      '12:15',
    ]);
    expect(s.hub.name).toBe('Test hub');
    const moved = sittingResponse.parse((await get(`/sittings/${w.movedSitting}`)).json());
    expect(moved.movedReason).toBe('Hub training day');
    expect((await get('/sittings/999999')).statusCode).toBe(404);
  });

  it('refuses schools, agencies and anonymous callers', async () => {
    for (const who of ['schoolA', 'schoolB', 'agencyA'] as const) {
      expect((await get(`/hubs/${w.hubId}/sittings`, who)).statusCode).toBe(403);
      expect((await get(`/sittings/${w.sitting31}`, who)).statusCode).toBe(403);
      expect((await get(base(), who)).statusCode).toBe(403);
      expect((await post(`${base()}/build`, undefined, who)).statusCode).toBe(403);
    }
    expect((await app.inject({ url: `/api/v1${base()}` })).statusCode).toBe(401);
    expect((await post(`${base()}/build`, undefined, 'coordinator')).statusCode).toBe(403);
    expect(await items()).toEqual({});
  });

  it('builds the agenda idempotently and reads it back', async () => {
    const first = buildResponse.parse((await post(`${base()}/build`)).json());
    expect(first.kind).toBe('built');
    if (first.kind !== 'built') return;
    expect(first.changed).toBe(true);
    expect(first.agenda.items.map((i) => i.familyReference)).toEqual(['FAM-C', 'FAM-D', 'FAM-E']);
    expect(first.agenda.deferred).toMatchObject([{ reference: 'EH-2027-0003', reason: 'consent-missing' }]);
    const second = buildResponse.parse((await post(`${base()}/build`)).json());
    expect(second).toMatchObject({ kind: 'built', changed: false });
    const read = agendaResponse.parse((await get(base(), 'coordinator')).json());
    expect(read.items[0]).toMatchObject({
      slot: 0,
      startsAt: '2027-03-31T09:30:00+01:00',
      flags: ['proforma-pending', 'carried-over'],
    });
    expect(read.items[0]!.requests[0]!.requestId).toBe(w.chairRequests.C);
    expect(read.items[1]!.slotsUsed).toBe(2);
    expect(read).toMatchObject({ status: 'planned', breakAfterSlot: 3, breakMinutes: 15 });
  });

  it('refuses a move to a taken slot (409), out of range or across the break (422 naming slot)', async () => {
    const before = await items();
    const c = before['FAM-C']!;
    const taken = await post(`${base()}/items/${c.id}/move`, { slot: before['FAM-E']!.slot });
    expect(taken.statusCode).toBe(409);
    expect(problem(taken).detail).toContain('is taken by family FAM-E');
    const d = before['FAM-D']!;
    for (const slot of [5, 2]) {
      const r = await post(`${base()}/items/${d.id}/move`, { slot });
      expect(r.statusCode).toBe(422);
      expect(problem(r).errors.map((e) => e.field)).toEqual(['slot']);
    }
    const junk = await post(`${base()}/items/${c.id}/move`, { slot: 'first' });
    expect(junk.statusCode).toBe(422);
    expect(problem(junk).errors.map((e) => e.field)).toEqual(['slot']);
    const extra = await post(`${base()}/items/${c.id}/move`, { slot: 4, force: true });
    expect(extra.statusCode).toBe(422);
    expect(JSON.stringify(problem(extra).errors)).toContain('force');
    expect((await post(`${base()}/items/999999/move`, { slot: 4 })).statusCode).toBe(404);
    expect((await post(`${base()}/items/${c.id}/move`, { slot: 4 }, 'coordinator')).statusCode).toBe(403);
    expect(await items()).toEqual(before);
  });

  it('moves, swaps, pins and unpins, answering the change and the agenda as it now is', async () => {
    const before = await items();
    const c = before['FAM-C']!;
    const e = before['FAM-E']!;
    const moved = await post(`${base()}/items/${c.id}/move`, { slot: 4 });
    expect(moved.statusCode).toBe(200);
    const body = moved.json() as { change: unknown; agenda: unknown };
    expect(changeResponse.parse(body.change)).toEqual({ action: 'moved', itemId: c.id, from: c.slot, to: 4 });
    expect(agendaResponse.parse(body.agenda).items.find((i) => i.id === c.id)).toMatchObject({
      slot: 4,
      movedByChair: true,
      startsAt: '2027-03-31T11:45:00+01:00',
    });
    const swapped = await post(`${base()}/items/${c.id}/swap`, { otherItemId: e.id });
    expect(swapped.statusCode).toBe(200);
    expect((await items())['FAM-C']!.slot).toBe(e.slot);
    const pinned = await post(`${base()}/items/${e.id}/pin`);
    expect(changeResponse.parse((pinned.json() as { change: unknown }).change)).toMatchObject({
      action: 'pinned',
    });
    expect((await post(`${base()}/items/${e.id}/pin`)).statusCode).toBe(409);
    expect((await post(`${base()}/items/${e.id}/unpin`, undefined, 'admin')).statusCode).toBe(200);
    expect((await items())['FAM-E']!.pinned).toBe(false);
    const audit = await handle.db
      .selectFrom('audit_log')
      .select(['action', 'actor'])
      .where('action', 'in', [
        'agenda.item.moved',
        'agenda.items.swapped',
        'agenda.item.pinned',
        'agenda.item.unpinned',
      ])
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'agenda.item.moved',
      'agenda.items.swapped',
      'agenda.item.pinned',
      'agenda.item.unpinned',
    ]);
    // Called with the chair's API token: its service account is named, never the system.
    expect(audit.every((a) => /^user:\d+$/.test(a.actor))).toBe(true);
  });

  it('defers an item only with a reason', async () => {
    const d = (await items())['FAM-D']!;
    const blank = await post(`${base()}/items/${d.id}/defer`, { reason: '  ' });
    expect(blank.statusCode).toBe(422);
    expect(problem(blank).errors.map((e) => e.field)).toEqual(['reason']);
    const missing = await post(`${base()}/items/${d.id}/defer`, {});
    expect(problem(missing).errors.map((e) => e.field)).toEqual(['reason']);
    const r = await post(`${base()}/items/${d.id}/defer`, { reason: 'Lead practitioner unavailable' });
    expect(r.statusCode).toBe(200);
    const { change, agenda } = r.json() as { change: unknown; agenda: unknown };
    expect(changeResponse.parse(change)).toMatchObject({ action: 'deferred', references: ['EH-2027-0102'] });
    expect(agendaResponse.parse(agenda).deferred).toContainEqual(
      expect.objectContaining({
        reference: 'EH-2027-0102',
        reason: 'chair-deferred',
        note: 'Lead practitioner unavailable',
      }),
    );
  });

  it('publishes once; a published agenda is frozen and a rebuild reports the changes without writing', async () => {
    const published = await post(`${base()}/publish`);
    expect(published.statusCode).toBe(200);
    const { change, agenda } = published.json() as { change: unknown; agenda: unknown };
    expect(changeResponse.parse(change).action).toBe('published');
    expect(agendaResponse.parse(agenda).status).toBe('published');
    expect((await post(`${base()}/publish`)).statusCode).toBe(409);
    const c = (await items())['FAM-C']!;
    const frozen = await post(`${base()}/items/${c.id}/move`, { slot: 0 });
    expect(frozen.statusCode).toBe(409);
    expect(problem(frozen).detail).toContain('frozen');
    const before = await items();
    const rebuilt = buildResponse.parse((await post(`${base()}/build`)).json());
    expect(rebuilt.kind).toBe('frozen');
    if (rebuilt.kind === 'frozen') expect(rebuilt.changes).toEqual([]);
    expect(await items()).toEqual(before);
  });

  it('describes every sittings and agenda route in the OpenAPI document', async () => {
    const doc = (await app.inject({ url: '/api/openapi.json' })).json() as {
      paths: Record<string, Record<string, { 'x-roles': string[] }>>;
    };
    const expected = [
      ['get', '/api/v1/hubs/{id}/sittings'],
      ['get', '/api/v1/sittings/{id}'],
      ['get', '/api/v1/sittings/{id}/agenda'],
      ['post', '/api/v1/sittings/{id}/agenda/build'],
      ['post', '/api/v1/sittings/{id}/agenda/items/{itemId}/move'],
      ['post', '/api/v1/sittings/{id}/agenda/items/{itemId}/swap'],
      ['post', '/api/v1/sittings/{id}/agenda/items/{itemId}/defer'],
      ['post', '/api/v1/sittings/{id}/agenda/items/{itemId}/pin'],
      ['post', '/api/v1/sittings/{id}/agenda/items/{itemId}/unpin'],
      ['post', '/api/v1/sittings/{id}/agenda/publish'],
    ] as const;
    for (const [method, path] of expected)
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    expect(doc.paths['/api/v1/sittings/{id}/agenda/items/{itemId}/move']!.post!['x-roles']).toEqual([
      'admin',
      'chair',
    ]);
    expect(doc.paths['/api/v1/sittings/{id}/agenda']!.get!['x-roles']).toEqual([
      'admin',
      'chair',
      'coordinator',
    ]);
  });
});
