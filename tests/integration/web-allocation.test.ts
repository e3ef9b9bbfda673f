import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { DbHandle } from '../../src/db/client.ts';
import { engines } from '../helpers/database.ts';
import { currentNavigation } from '../helpers/navigation.ts';
import { errorSummary, sessionPages, textOf, useWebApp } from '../helpers/web-app.ts';
import { type AllocationWorld, createAllocationWorld } from './web-allocation.world.ts';

/*
 * The coordinator's allocation queue as pages: propose, accept, override with a required reason
 * (named in the error summary, nothing saved without it), the last place taken by another
 * coordinator shown as a conflict, propose again, consent held back, proformas sent again through
 * the outbox (a new key each time, audited), escalations; and who may use it.
 */

describe.each(engines)("the coordinator's allocation queue on %s", (engine) => {
  let handle: DbHandle, w: AllocationWorld, app: FastifyInstance;
  useWebApp(engine, createAllocationWorld, (opened) => ({ handle, world: w, app } = opened));
  const { page, post } = sessionPages(() => ({ app, world: w }), 'coordinator');
  const queue = () => `/sittings/${w.sittingId}/allocations`;
  const allocationOf = (requestId: number) =>
    handle.db
      .selectFrom('allocations')
      .selectAll()
      .where('request_id', '=', requestId)
      .where('closed_at', 'is', null)
      .executeTakeFirst();
  const proposals = async () =>
    handle.db
      .selectFrom('suggestions')
      .select(['id', 'request_id', 'agency_id', 'rank'])
      .where('sitting_id', '=', w.sittingId)
      .where('rank', '=', 0)
      .execute();

  it('lets the coordinator and admin in, and refuses the chair, schools and agencies', async () => {
    expect((await page('/allocations')).statusCode).toBe(200);
    expect((await page(queue(), 'admin')).statusCode).toBe(200);
    for (const who of ['chair', 'schoolA', 'agencyA'] as const) {
      expect((await page(queue(), who)).statusCode).toBe(403);
      expect((await post(`/sittings/${w.sittingId}/suggestions`, {}, who)).statusCode).toBe(403);
    }
    const list = await page('/allocations');
    expect(list.body).toContain(`href="${queue()}"`);
  });

  it("marks the allocation queue as where you are on the queue's pages, not Sittings", async () => {
    expect(currentNavigation((await page('/allocations')).body)).toEqual(['Allocation queue (page)']);
    for (const who of ['coordinator', 'admin'] as const) {
      for (const url of [queue(), `${queue()}/requests/${w.queued.R1}`])
        expect(currentNavigation((await page(url, who)).body)).toEqual(['Allocation queue (true)']);
    }
    // The sitting's agenda is still under Sittings.
    expect(currentNavigation((await page(`/sittings/${w.sittingId}/agenda`)).body)).toEqual([
      'Sittings (true)',
    ]);
  });

  it('shows the queue before proposals, consent held back, missing proformas and escalations', async () => {
    const r = await page(queue());
    expect(r.statusCode).toBe(200);
    const text = textOf(r.body);
    expect(text).toContain('Allocations for Wednesday 17 March 2027');
    expect(text).toContain('No proposals have been worked out yet');
    expect(text).toContain('EH-2027-0103, Abbey Primary School: consent not recorded');
    expect(text).toMatch(/EH-2027-0001, Abbey Primary School To do/);
    expect(text).toContain('EH-2027-0001, Abbey Primary School: escalated 15 March 2027 at 17:05');
    expect(r.body).toContain(`id="resend-${w.proformas.A}"`);
  });

  it('says in plain words why a request has no proposal, until a computation finds it one', async () => {
    const card = (html: string, requestId: number) =>
      textOf(
        new RegExp(`id="request-${requestId}"[\\s\\S]*?(?=id="request-|id="consent")`).exec(html)?.[0] ?? '',
      );
    // Every agency is full: R1 and R2 are left without a lead, for want of a place.
    const counts = await handle.db.selectFrom('agencies').select(['id', 'active_cases']).execute();
    await handle.db
      .updateTable('agencies')
      .set((eb) => ({ active_cases: eb.ref('capacity') }))
      .execute();
    try {
      await post(`/sittings/${w.sittingId}/suggestions`);
      const shown = (await page(queue())).body;
      for (const id of [w.queued.R1, w.queued.R2])
        expect(card(shown, id)).toContain(
          'No proposal: every suitable agency is full, or its places went to other requests in this batch.',
        );
    } finally {
      // Places free up again: proposing again replaces the reasons with proposals.
      for (const a of counts)
        await handle.db
          .updateTable('agencies')
          .set({ active_cases: a.active_cases })
          .where('id', '=', a.id)
          .execute();
    }
    await post(`/sittings/${w.sittingId}/suggestions`);
    const again = (await page(queue())).body;
    for (const id of [w.queued.R1, w.queued.R2]) {
      expect(card(again, id)).not.toContain('No proposal');
      expect(card(again, id)).toMatch(/Proposed lead \S+/);
    }
  });

  it('proposes lead agencies with the breakdown in words and the alternatives', async () => {
    const r = await post(`/sittings/${w.sittingId}/suggestions`);
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe(`${queue()}?done=proposed`);
    const shown = await page(r.headers.location as string);
    const text = textOf(shown.body);
    expect(text).toContain('The proposals have been worked out again from current capacity.');
    expect(text).toMatch(/Proposed lead Family Support North ?, score 75%/);
    expect(text).toMatch(/Alternatives City Family Hub ?, score 73%/);
    expect(text).toMatch(/needs 1\/1 covered \(parenting\); same locality/);
    // Agency A has one free place: the batch gives it to one request only.
    const rank0 = await proposals();
    expect(rank0.filter((p) => p.agency_id === w.agencies.A)).toHaveLength(1);
    expect(rank0.filter((p) => p.agency_id === w.agencyC)).toHaveLength(1);
  });

  it('refuses an override without a reason, naming the field, keeping the choice, saving nothing', async () => {
    const url = `/sittings/${w.sittingId}/allocations/requests/${w.queued.R1}`;
    expect((await page(url)).statusCode).toBe(200);
    const r = await post(url, { agencyId: String(w.agencyC), reason: '   ' });
    expect(r.statusCode).toBe(422);
    expect(errorSummary(r.body)).toContain('Say why another agency should lead');
    expect(r.body).toContain('href="#reason"');
    expect(r.body).toMatch(new RegExp(`<option value="${w.agencyC}" selected`));
    expect(await allocationOf(w.queued.R1)).toBeUndefined();
    const none = await post(url, { agencyId: '', reason: 'Knows the family' });
    expect(errorSummary(none.body)).toContain('Choose the agency that should lead');
    expect(none.body).toContain('Knows the family');
  });

  it('shows a clear conflict when another coordinator has just taken the last place', async () => {
    const rank0 = await proposals();
    const toA = rank0.find((p) => p.agency_id === w.agencies.A)!;
    const toC = rank0.find((p) => p.agency_id === w.agencyC)!;
    // Another coordinator (the admin) gives the other request agency A's last place, with a reason.
    const other = await post(
      `/sittings/${w.sittingId}/allocations/requests/${toC.request_id}`,
      { agencyId: String(w.agencies.A), reason: 'The family already knows this team' },
      'admin',
    );
    expect(other.statusCode).toBe(303);
    expect((await allocationOf(toC.request_id))?.override_reason).toBe('The family already knows this team');
    // This coordinator, on the page loaded before, accepts agency A for the first request.
    const r = await post(`${queue()}/accept`, {
      suggestionId: String(toA.id),
      requestId: String(toA.request_id),
    });
    expect(r.statusCode).toBe(409);
    expect(errorSummary(r.body)).toMatch(/has no free place left \(2 of 2 taken\): choose another agency/);
    expect(r.body).toContain(`href="#request-${toA.request_id}"`);
    expect(await allocationOf(toA.request_id)).toBeUndefined();
  });

  it('proposes again after capacities change and accepts the new proposal with one button', async () => {
    await post(`/sittings/${w.sittingId}/suggestions`);
    const [p] = await proposals();
    expect(p?.agency_id).toBe(w.agencyC);
    const r = await post(`${queue()}/accept`, {
      suggestionId: String(p!.id),
      requestId: String(p!.request_id),
    });
    expect(r.statusCode).toBe(303);
    const shown = textOf((await page(r.headers.location as string)).body);
    expect(shown).toMatch(/The proposal for EH-2027-010[12] has been accepted\./);
    expect(shown).toContain('City Family Hub (accepted)');
    const a = await allocationOf(p!.request_id);
    expect(a).toMatchObject({ agency_id: w.agencyC, decision: 'accepted', review_due_on: '2027-06-15' });
    const audit = await handle.db
      .selectFrom('audit_log')
      .select('action')
      .where('entity', '=', 'allocation')
      .execute();
    expect(audit.map((x) => x.action).sort()).toEqual(['allocation.accepted', 'allocation.overridden']);
  });

  it('a missing accept choice and an unknown request are refused', async () => {
    const r = await post(`${queue()}/accept`, {});
    expect(r.statusCode).toBe(422);
    expect(errorSummary(r.body)).toContain('Choose the proposal to accept');
    expect((await page(`${queue()}/requests/${w.requests.B}`)).statusCode).toBe(404);
  });

  it('sends a missing proforma again through the outbox, with a new key each time, audited', async () => {
    const url = `/sittings/${w.sittingId}/proformas/${w.proformas.A}/resend`;
    expect((await post(url, {}, 'schoolA')).statusCode).toBe(403);
    for (const n of [1, 2]) {
      const r = await post(url);
      expect(r.statusCode).toBe(303);
      const text = textOf((await page(r.headers.location as string)).body);
      expect(text).toContain('The proforma request for EH-2027-0001 has been sent again.');
      expect(
        await handle.db
          .selectFrom('email_outbox')
          .select(['template', 'to_address'])
          .where(
            'idempotency_key',
            '=',
            `proforma-request:${w.sittingId}:${w.requests.A}:dsl@abbey.test:resend-${n}`,
          )
          .executeTakeFirst(),
      ).toEqual({ template: 'proforma-request', to_address: 'dsl@abbey.test' });
    }
    const audit = await handle.db
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'proforma.resent')
      .execute();
    expect(audit).toHaveLength(2);
    // A proforma of another sitting is not found here.
    expect((await post(`/sittings/${w.sittingId + 1000}/proformas/${w.proformas.A}/resend`)).statusCode).toBe(
      404,
    );
  });
});
