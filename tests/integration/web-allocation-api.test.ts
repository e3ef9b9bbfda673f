import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { DbHandle } from '../../src/db/client.ts';
import { engines } from '../helpers/database.ts';
import { useWebApp } from '../helpers/web-app.ts';
import type { Signed } from '../helpers/web-world.ts';
import { type AllocationWorld, createAllocationWorld } from './web-allocation.world.ts';

/*
 * The allocation API: suggestions (read, propose again), accept or override with a reason (the field
 * named when missing; the last place taken is a 409), allocations scoped to an agency's own, closing
 * a case, an agency's places; problem+json naming bad fields; every route in the OpenAPI document.
 */

describe.each(engines)('the allocation API on %s', (engine) => {
  let handle: DbHandle, w: AllocationWorld, app: FastifyInstance;
  useWebApp(engine, createAllocationWorld, (opened) => ({ handle, world: w, app } = opened));
  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, who: Signed, payload?: unknown) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${w.bearers[who]}` },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const fields = (body: string) => (JSON.parse(body).errors as Array<{ field: string }>).map((e) => e.field);

  it('describes every allocation route in the OpenAPI document', async () => {
    const doc = JSON.parse((await app.inject({ url: '/api/openapi.json' })).body);
    expect(Object.keys(doc.paths['/api/v1/sittings/{id}/suggestions']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/v1/allocations']).sort()).toEqual(['get', 'post']);
    expect(doc.paths['/api/v1/allocations/{id}/close'].post.operationId).toBe('closeAllocation');
    expect(doc.paths['/api/v1/agencies/{id}/capacity'].patch.operationId).toBe('updateAgencyCapacity');
  });

  it('proposes, accepts, refuses an override without a reason and reports the last place taken', async () => {
    expect((await call('POST', `/sittings/${w.sittingId}/suggestions`, 'schoolA')).statusCode).toBe(403);
    const proposed = await call('POST', `/sittings/${w.sittingId}/suggestions`, 'coordinator');
    expect(proposed.statusCode).toBe(200);
    const body = JSON.parse(proposed.body);
    expect(body.unassigned).toEqual([]);
    const waiting = body.requests.filter((r: { status: string }) => r.status === 'on-agenda');
    expect(waiting).toHaveLength(2);
    const toA = waiting.find((r: { proposal: { agencyId: number } }) => r.proposal.agencyId === w.agencies.A);
    const toC = waiting.find((r: { proposal: { agencyId: number } }) => r.proposal.agencyId === w.agencyC);
    expect(toA.proposal.score).toBeGreaterThan(toC.proposal.score);
    expect(toA.proposal.breakdown.need.covered).toEqual(['parenting']);
    expect(toC.alternatives[0]).toMatchObject({ agencyId: w.agencies.A, rank: 1 });
    const read = JSON.parse((await call('GET', `/sittings/${w.sittingId}/suggestions`, 'admin')).body);
    expect(read.requests).toEqual(body.requests);

    const noReason = await call('POST', '/allocations', 'coordinator', {
      requestId: toC.requestId,
      agencyId: w.agencies.A,
      reason: ' ',
    });
    expect(noReason.statusCode).toBe(422);
    expect(noReason.headers['content-type']).toContain('application/problem+json');
    expect(fields(noReason.body)).toEqual(['reason']);
    const badBody = await call('POST', '/allocations', 'coordinator', { requestId: 'x', agencyId: -1 });
    expect(fields(badBody.body).sort()).toEqual(['agencyId', 'requestId']);

    const override = await call('POST', '/allocations', 'admin', {
      requestId: toC.requestId,
      agencyId: w.agencies.A,
      reason: 'Already works with the family',
      sittingId: w.sittingId,
    });
    expect(override.statusCode).toBe(201);
    expect(JSON.parse(override.body)).toMatchObject({
      decision: 'overridden',
      reviewDueOn: '2027-06-15',
      endsBy: '2028-03-15',
    });
    const conflict = await call('POST', '/allocations', 'coordinator', {
      requestId: toA.requestId,
      agencyId: w.agencies.A,
      suggestionId: toA.proposal.suggestionId,
    });
    expect(conflict.statusCode).toBe(409);
    expect(JSON.parse(conflict.body).detail).toContain('no free place left');
  });

  it('scopes allocations to the agency, closes its own case only, and frees the place', async () => {
    const own = JSON.parse((await call('GET', '/allocations', 'agencyB')).body);
    expect(own.items.map((a: { agencyId: number }) => a.agencyId)).toEqual([w.agencies.B]);
    const all = JSON.parse((await call('GET', '/allocations?limit=1', 'coordinator')).body);
    expect(all.items).toHaveLength(1);
    expect(all.nextCursor).not.toBeNull();
    expect((await call('GET', '/allocations', 'schoolA')).statusCode).toBe(403);
    const b = own.items[0].id;
    expect(
      (await call('POST', `/allocations/${b}/close`, 'agencyA', { outcome: 'outcomes-met' })).statusCode,
    ).toBe(404);
    const badOutcome = await call('POST', `/allocations/${b}/close`, 'agencyB', { outcome: 'done' });
    expect(fields(badOutcome.body)).toEqual(['outcome']);
    const closed = await call('POST', `/allocations/${b}/close`, 'agencyB', { outcome: 'outcomes-met' });
    expect(closed.statusCode).toBe(200);
    const capacity = JSON.parse(
      (await call('PATCH', `/agencies/${w.agencies.B}/capacity`, 'agencyB', { places: 10 })).body,
    );
    expect(capacity).toEqual({ agencyId: w.agencies.B, places: 10, activeCases: 0, free: 10 });
  });

  it("changes an agency's places: its own or an admin's, never below the active cases", async () => {
    expect(
      (await call('PATCH', `/agencies/${w.agencies.B}/capacity`, 'agencyA', { places: 4 })).statusCode,
    ).toBe(404);
    expect(
      (await call('PATCH', `/agencies/${w.agencies.A}/capacity`, 'coordinator', { places: 4 })).statusCode,
    ).toBe(403);
    const low = await call('PATCH', `/agencies/${w.agencies.A}/capacity`, 'agencyA', { places: 1 });
    expect(low.statusCode).toBe(422);
    expect(JSON.parse(low.body).errors).toEqual([
      { field: 'places', message: 'must be at least the 2 active cases' },
    ]);
    const ok = await call('PATCH', `/agencies/${w.agencies.A}/capacity`, 'admin', { places: 4 });
    expect(JSON.parse(ok.body)).toEqual({ agencyId: w.agencies.A, places: 4, activeCases: 2, free: 2 });
  });
  it('says why a request has no proposal, in words: from the computation and as stored for the read', async () => {
    await handle.db
      .updateTable('agencies')
      .set((eb) => ({ active_cases: eb.ref('capacity') }))
      .execute();
    const proposed = JSON.parse(
      (await call('POST', `/sittings/${w.sittingId}/suggestions`, 'coordinator')).body,
    );
    const waiting = proposed.requests.filter((r: { status: string }) => r.status === 'on-agenda');
    expect(waiting).toHaveLength(1);
    const reason = {
      reason: 'no-capacity',
      text: 'every suitable agency is full, or its places went to other requests in this batch',
    };
    expect(proposed.unassigned).toEqual([{ requestId: waiting[0].requestId, ...reason }]);
    const read = JSON.parse((await call('GET', `/sittings/${w.sittingId}/suggestions`, 'coordinator')).body);
    expect(read.requests).toEqual(proposed.requests);
    for (const r of read.requests)
      expect(r.unassignedReason).toEqual(r.requestId === waiting[0].requestId ? reason : null);
    const doc = JSON.parse((await app.inject({ url: '/api/openapi.json' })).body);
    const item =
      doc.paths['/api/v1/sittings/{id}/suggestions'].get.responses['200'].content['application/json'].schema
        .properties.requests.items;
    expect(item.properties.unassignedReason).toBeDefined();
  });
});
