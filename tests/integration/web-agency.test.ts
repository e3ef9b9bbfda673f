import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../src/db/client.ts';
import { engines } from '../helpers/database.ts';
import { errorSummary, sessionPages, textOf, useWebApp } from '../helpers/web-app.ts';
import { type AllocationWorld, createAllocationWorld } from './web-allocation.world.ts';

/*
 * The agency's pages: its own cases with the review date and the 12-month mark (another agency's
 * case is not found), closing a case with an outcome (the place is freed), and its places (never
 * below its active cases: shown on the field, nothing saved).
 */

describe.each(engines)("the agency's pages on %s", (engine) => {
  let handle: DbHandle, w: AllocationWorld, app: FastifyInstance;
  let allocationA: number;
  let allocationB: number;
  useWebApp(engine, createAllocationWorld, (opened) => ({ handle, world: w, app } = opened));
  beforeAll(async () => {
    const id = async (requestId: number) =>
      (
        await handle.db
          .selectFrom('allocations')
          .select('id')
          .where('request_id', '=', requestId)
          .executeTakeFirstOrThrow()
      ).id;
    allocationA = await id(w.requests.A);
    allocationB = await id(w.requests.B);
  });
  const { page, post } = sessionPages(() => ({ app, world: w }), 'agencyA');
  const agencyA = () =>
    handle.db
      .selectFrom('agencies')
      .select(['capacity', 'active_cases'])
      .where('id', '=', w.agencies.A)
      .executeTakeFirstOrThrow();

  it("lists the agency's own cases with review dates and the 12-month mark, and its places", async () => {
    const r = await page('/agency');
    expect(r.statusCode).toBe(200);
    const text = textOf(r.body);
    expect(text).toContain('Family Support North');
    expect(text).toMatch(/Places 2 .*Active cases 1 .*Free places 1/);
    expect(text).toContain('EH-2027-0001 1 Jun 2027 1 Mar 2028');
    expect(text).not.toContain('EH-2027-0002');
    expect(r.body).toContain(`href="/agency/allocations/${allocationA}"`);
  });

  it("answers 404 for another agency's case, and refuses schools and the hub's staff", async () => {
    expect((await page(`/agency/allocations/${allocationB}`)).statusCode).toBe(404);
    expect(
      (await post(`/agency/allocations/${allocationB}/close`, { outcome: 'outcomes-met' })).statusCode,
    ).toBe(404);
    expect((await page(`/agency/allocations/${allocationB}`, 'agencyB')).statusCode).toBe(200);
    for (const who of ['schoolA', 'coordinator'] as const) {
      expect((await page('/agency', who)).statusCode).toBe(403);
      expect((await page(`/agency/allocations/${allocationA}`, who)).statusCode).toBe(403);
    }
    const closedB = await handle.db
      .selectFrom('allocations')
      .select('closed_at')
      .where('id', '=', allocationB)
      .executeTakeFirstOrThrow();
    expect(closedB.closed_at).toBeNull();
  });

  it('refuses places below the active cases on the field, and saves valid places', async () => {
    const low = await post('/agency/capacity', { places: '0' });
    expect(low.statusCode).toBe(422);
    expect(errorSummary(low.body)).toContain('Places cannot be fewer than your 1 active cases');
    expect(low.body).toContain('href="#places"');
    expect(low.body).toMatch(
      /govuk-input--error" id="places" name="places" type="text" spellcheck="false" value="0"/,
    );
    expect(await agencyA()).toEqual({ capacity: 2, active_cases: 1 });
    const bad = await post('/agency/capacity', { places: 'twelve' });
    expect(errorSummary(bad.body)).toContain('Places must be a whole number, like 12');
    const ok = await post('/agency/capacity', { places: '3' });
    expect(ok.statusCode).toBe(303);
    expect(textOf((await page(ok.headers.location as string)).body)).toContain(
      'Your places have been updated.',
    );
    expect(await agencyA()).toEqual({ capacity: 3, active_cases: 1 });
  });

  it('closes a case with an outcome and frees the place', async () => {
    const url = `/agency/allocations/${allocationA}`;
    expect(textOf((await page(url)).body)).toContain('Close this case');
    const none = await post(`${url}/close`, {});
    expect(none.statusCode).toBe(422);
    expect(errorSummary(none.body)).toContain('Choose the outcome of the case');
    expect(none.body).toContain('href="#outcome"');
    const r = await post(`${url}/close`, { outcome: 'stepped-down' });
    expect(r.statusCode).toBe(303);
    const text = textOf((await page(r.headers.location as string)).body);
    expect(text).toContain('The case has been closed and its place freed.');
    expect(text).toMatch(/Active cases 0 .*Free places 3/);
    expect(text).toContain('EH-2027-0001 : Stepped down to universal services');
    expect(await agencyA()).toEqual({ capacity: 3, active_cases: 0 });
    const again = await post(`${url}/close`, { outcome: 'stepped-down' });
    expect(again.statusCode).toBe(409);
    expect(errorSummary(again.body)).toContain('is already closed');
  });
});
