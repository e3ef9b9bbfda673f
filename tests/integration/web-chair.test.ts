import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { DbHandle } from '../../src/db/client.ts';
import { engines } from '../helpers/database.ts';
import { sessionPages, useWebApp } from '../helpers/web-app.ts';
import { type ChairWorld, createChairWorld, storedItems } from './web-chair.world.ts';

/*
 * The chair's pages: the sittings list (moved, cancelled, skipped dates), the agenda review, every
 * edit form (including refusals shown in the error summary with nothing saved), publishing after a
 * confirmation, what changed since, the print view and the downloads; and who may see them.
 */

describe.each(engines)("the chair's sittings and agenda pages on %s", (engine) => {
  let handle: DbHandle, w: ChairWorld, app: FastifyInstance;
  useWebApp(engine, createChairWorld, (opened) => ({ handle, world: w, app } = opened));
  const { page, post } = sessionPages(() => ({ app, world: w }), 'chair');
  const agenda = () => `/sittings/${w.sitting31}/agenda`;
  const items = () => storedItems(handle.db, w.sitting31);
  const auditCount = async (action: string) =>
    (await handle.db.selectFrom('audit_log').select('id').where('action', '=', action).execute()).length;
  /** A page's text: tags dropped, white space collapsed. */
  const textOf = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
  /** The text of the page's error summary (empty when there is none). */
  const errorSummary = (html: string) =>
    (/<div class="govuk-error-summary"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? '').replace(/<[^>]+>/g, ' ');

  it('offers a hub picker when there are several hubs', async () => {
    const r = await page('/sittings');
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('Choose a hub to see its sittings.');
    expect(r.body).toContain('East hub');
    expect(r.body).toContain('Test hub');
    expect((await page('/sittings?hub=999999')).statusCode).toBe(404);
  });

  it('lists sittings in date order with moved and cancelled ones explained, each linking to its agenda', async () => {
    const r = await page(`/sittings?hub=${w.hubId}`);
    expect(r.statusCode).toBe(200);
    const text = textOf(r.body);
    expect(text).toContain('Moved from Wednesday 14 April 2027 (Hub training day)');
    expect(text).toContain('Cancelled by the chair: no room available');
    expect(r.body).toContain(`href="/sittings/${w.sitting31}/agenda"`);
    expect(r.body).toContain(`href="/sittings/${w.movedSitting}/agenda"`);
    expect(r.body).not.toContain(`href="/sittings/${w.cancelledSitting}/agenda"`);
    const order = [
      'Wednesday 17 March 2027',
      'Wednesday 31 March 2027',
      'Thursday 15 April 2027',
      'Wednesday 12 May 2027',
    ];
    const at = order.map((d) => text.indexOf(d));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    // Times are local: 09:30 in GMT (17 March) and in BST (31 March).
    expect(text).toContain('Wednesday 31 March 2027 : agenda 09:30 to 12:45');
  });

  it('shows the rule dates not sat on with their reason, and names a bad range', async () => {
    const east = textOf((await page(`/sittings?hub=${w.eastHubId}&from=2027-03-01&to=2027-06-30`)).body);
    expect(east).toContain('Monday 29 March 2027');
    expect(east).toContain('Easter Monday');
    expect(east).toContain('Spring bank holiday');
    expect(east).toContain('Not sat');
    const bad = await page(`/sittings?hub=${w.hubId}&from=2027-02-30&to=2027-01-01`);
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('There is a problem');
    expect(bad.body).toContain('href="#from"');
    expect(bad.body).toContain('value="2027-02-30"');
  });

  it('serves the hub calendar feed with stable UIDs and local times, without cancelled sittings', async () => {
    const r = await page(`/hubs/${w.hubId}/calendar.ics`);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/calendar');
    expect(r.body).toContain(`UID:sitting-${w.sitting31}@allocation-hub`);
    expect(r.body).toContain('DTSTART;TZID=Europe/London:20270331T093000');
    expect(r.body).toContain('DTSTART;TZID=Europe/London:20270415T093000');
    expect(r.body).not.toContain(`UID:sitting-${w.cancelledSitting}@`);
    const again = await page(`/hubs/${w.hubId}/calendar.ics`);
    expect(again.body).toBe(r.body);
    expect((await page('/hubs/999999/calendar.ics')).statusCode).toBe(404);
  });

  it('refuses schools and agencies, and sends visitors to sign in', async () => {
    for (const who of ['schoolA', 'agencyB'] as const) {
      expect((await page(`/sittings?hub=${w.hubId}`, who)).statusCode).toBe(403);
      expect((await page(agenda(), who)).statusCode).toBe(403);
      expect((await page(`/hubs/${w.hubId}/calendar.ics`, who)).statusCode).toBe(403);
      expect((await post(`${agenda()}/build`, {}, who)).statusCode).toBe(403);
    }
    const anonymous = await app.inject({ url: agenda() });
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toContain('/sign-in');
    expect((await page('/sittings/999999/agenda')).statusCode).toBe(404);
  });

  it('builds the agenda from the page; a coordinator reads it but cannot change it', async () => {
    expect((await page(agenda())).body).toContain('The agenda has not been built yet.');
    expect((await post(`${agenda()}/build`, {}, 'coordinator')).statusCode).toBe(403);
    const built = await post(`${agenda()}/build`);
    expect(built.statusCode).toBe(303);
    expect(built.headers.location).toBe(`${agenda()}?done=built`);
    const again = await post(`${agenda()}/build`);
    expect(again.headers.location).toBe(`${agenda()}?done=unchanged`);
    const stored = await items();
    expect(Object.keys(stored).sort()).toEqual(['FAM-C', 'FAM-D', 'FAM-E']);

    const r = await page(`${agenda()}?done=built`);
    const text = r.body.replace(/\s+/g, ' ');
    expect(text).toContain('The agenda has been built.');
    expect(text).toContain('09:30 to 10:00 · Slot 1');
    expect(text).toContain('Break, 11:00 to 11:15 (15 minutes)');
    expect(text).toContain('Complex: 2 slots');
    expect(text).toContain('Carried over twice');
    expect(text).toContain('Proforma awaited');
    expect(text).toContain('Consent not recorded');
    expect(r.body).toContain(`href="/requests/${w.chairRequests.C}"`);
    expect(r.body).toContain(`${agenda()}/items/${stored['FAM-C']!.id}`);
    const coordinator = await page(agenda(), 'coordinator');
    expect(coordinator.statusCode).toBe(200);
    expect(coordinator.body).toContain('FAM-C');
    expect(coordinator.body).not.toContain(`${agenda()}/items/`);
    expect(coordinator.body).not.toContain('Rebuild agenda');
    expect((await page(`${agenda()}/items/${stored['FAM-C']!.id}`, 'coordinator')).statusCode).toBe(403);
  });

  it('moves an item to a free slot, and shows a refused move in the error summary with nothing saved', async () => {
    const before = await items();
    const c = before['FAM-C']!;
    const e = before['FAM-E']!;
    const itemPage = await page(`${agenda()}/items/${c.id}`);
    expect(itemPage.statusCode).toBe(200);
    expect(itemPage.body).toContain('Slot 5, 11:45 (free)');

    const taken = await post(`${agenda()}/items/${c.id}/move`, { slot: String(e.slot) });
    expect(taken.statusCode).toBe(409);
    // People count slots from 1, as the page's list does (the API and the data count from 0).
    expect(errorSummary(taken.body)).toContain(`Slot ${e.slot + 1} is taken by family FAM-E`);
    expect(taken.body).toContain('href="#slot"');
    expect(taken.body).toMatch(new RegExp(`<option value="${e.slot}" selected`));
    const empty = await post(`${agenda()}/items/${c.id}/move`, { slot: '' });
    expect(empty.statusCode).toBe(422);
    expect(errorSummary(empty.body)).toContain('Choose a slot to move the item to');
    const d = before['FAM-D']!;
    const across = await post(`${agenda()}/items/${d.id}/move`, { slot: '2' });
    expect(across.statusCode).toBe(422);
    expect(errorSummary(across.body)).toContain('starting at slot 3 would run across the break');
    const past = await post(`${agenda()}/items/${d.id}/move`, { slot: '5' });
    expect(errorSummary(past.body)).toContain('Slot 6 is outside the sitting');
    expect(errorSummary(past.body)).toContain('can start at slot 1 to 5');
    expect(await items()).toEqual(before);
    expect(await auditCount('agenda.item.moved')).toBe(0);

    const moved = await post(`${agenda()}/items/${c.id}/move`, { slot: '5' });
    expect(moved.statusCode).toBe(303);
    expect(moved.headers.location).toBe(`${agenda()}?done=moved&item=${c.id}#item-${c.id}`);
    expect((await items())['FAM-C']).toMatchObject({ slot: 5, moved: true });
    expect(await auditCount('agenda.item.moved')).toBe(1);
    const shown = (await page(`${agenda()}?done=moved&item=${c.id}`)).body.replace(/\s+/g, ' ');
    expect(shown).toContain('The item has been moved. Family FAM-C is now at 12:15 to 12:45.');
    expect(shown).toContain('Moved by the chair');
  });

  it('swaps, pins and unpins through the forms', async () => {
    const before = await items();
    const c = before['FAM-C']!;
    const e = before['FAM-E']!;
    expect((await post(`${agenda()}/items/${c.id}/swap`, { otherItemId: String(e.id) })).statusCode).toBe(
      303,
    );
    const swapped = await items();
    expect(swapped['FAM-C']!.slot).toBe(e.slot);
    expect(swapped['FAM-E']!.slot).toBe(c.slot);
    expect((await post(`${agenda()}/items/${e.id}/pin`)).statusCode).toBe(303);
    expect((await items())['FAM-E']!.pinned).toBe(true);
    expect((await page(agenda())).body).toContain('Pinned');
    const twice = await post(`${agenda()}/items/${e.id}/pin`);
    expect(twice.statusCode).toBe(409);
    expect(errorSummary(twice.body)).toContain('already pinned');
    expect((await post(`${agenda()}/items/${e.id}/unpin`)).statusCode).toBe(303);
    expect((await items())['FAM-E']!.pinned).toBe(false);
    expect((await post(`${agenda()}/items/999999/pin`)).statusCode).toBe(404);
  });

  it('defers an item only with a reason, and lists it as deferred by the chair', async () => {
    const d = (await items())['FAM-D']!;
    const none = await post(`${agenda()}/items/${d.id}/defer`, { reason: '   ' });
    expect(none.statusCode).toBe(422);
    expect(errorSummary(none.body)).toContain('Say why the item is deferred');
    expect(none.body).toContain('href="#reason"');
    expect((await items())['FAM-D']).toBeDefined();
    const deferred = await post(`${agenda()}/items/${d.id}/defer`, { reason: 'Social worker on leave' });
    expect(deferred.statusCode).toBe(303);
    expect((await items())['FAM-D']).toBeUndefined();
    const text = (await page(agenda())).body.replace(/\s+/g, ' ');
    expect(text).toContain('Deferred by the chair');
    expect(text).toMatch(/<td class="govuk-table__cell">Social worker on leave<\/td>/);
  });

  it('refuses a form without its CSRF token', async () => {
    const c = (await items())['FAM-C']!;
    const r = await app.inject({
      method: 'POST',
      url: `${agenda()}/items/${c.id}/move`,
      headers: { cookie: w.sessions.chair.cookie },
      payload: { slot: '1' },
    });
    expect(r.statusCode).toBe(403);
    expect((await items())['FAM-C']!.slot).toBe(c.slot);
  });

  it('serves the print view, the CSV and each school invite', async () => {
    const print = await page(`${agenda()}/print`, 'coordinator');
    expect(print.statusCode).toBe(200);
    expect(print.headers['content-security-policy']).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(print.body).toContain('Wednesday 31 March 2027');
    expect(print.body).not.toContain('2017-01-09'); // no date of birth
    const csv = await page(`/sittings/${w.sitting31}/agenda.csv`);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toContain('agenda-2027-03-31.csv');
    expect(csv.body.split('\r\n')[0]).toContain('status,slot,slots_used,starts_at');
    expect(csv.body).toContain('EH-2027-0101');
    const c = (await items())['FAM-C']!;
    const invite = await page(`${agenda()}/invites/${c.id}/${w.schools.A.urn}`);
    expect(invite.statusCode).toBe(200);
    expect(invite.headers['content-type']).toContain('text/calendar');
    expect(invite.body).toContain(`UID:agenda-${w.sitting31}-FAM-C-${w.schools.A.urn}@allocation-hub`);
    expect((await page(`${agenda()}/invites/${c.id}/${w.schools.B.urn}`)).statusCode).toBe(404);
  });

  it('publishes after a confirmation page; the published agenda is frozen and reports what changed since', async () => {
    const confirm = await page(`${agenda()}/publish`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Publish the agenda for Wednesday 31 March 2027?');
    expect(confirm.body).toContain(`action="${agenda()}/publish"`);
    expect((await post(`${agenda()}/publish`, {}, 'coordinator')).statusCode).toBe(403);
    const published = await post(`${agenda()}/publish`);
    expect(published.statusCode).toBe(303);
    expect(published.headers.location).toBe(`${agenda()}?done=published`);
    const sitting = await handle.db
      .selectFrom('sittings')
      .select(['status', 'published_at'])
      .where('id', '=', w.sitting31)
      .executeTakeFirstOrThrow();
    expect(sitting.status).toBe('published');
    const text = (await page(`${agenda()}?done=published`)).body.replace(/\s+/g, ' ');
    expect(text).toContain('The agenda has been published. It is now frozen.');
    expect(text).toContain('Published');
    expect(text).toContain('What changed since publishing');
    expect(text).not.toContain('Rebuild agenda');

    const c = (await items())['FAM-C']!;
    const frozen = await post(`${agenda()}/items/${c.id}/move`, { slot: '0' });
    expect(frozen.statusCode).toBe(409);
    expect(errorSummary(frozen.body)).toContain('published and frozen');
    const again = await post(`${agenda()}/publish`);
    expect(again.statusCode).toBe(409);
    expect(errorSummary(again.body)).toContain('already published');
    expect((await page(`${agenda()}/publish`)).statusCode).toBe(303);

    const unchanged = await page(`${agenda()}/changes`, 'coordinator');
    expect(unchanged.body).toContain('Nothing has changed since the agenda was published.');
    // A new request arrives after publishing: a rebuild would add it, but the agenda stays as it is.
    const { id: family } = await handle.db
      .insertInto('families')
      .values({ reference: 'FAM-LATE', locality: 'north' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await handle.db
      .insertInto('requests')
      .values({
        reference: 'EH-2027-0199',
        hub_id: w.hubId,
        kind: 'new',
        family_id: family,
        school_id: null,
        referrer_name: 'A Referrer',
        referrer_organisation: 'Front door',
        received_at: new Date('2027-03-15T09:00:00Z'),
        urgency: 'high',
        consent_given: true,
        consent_recorded_at: new Date('2027-03-15T09:00:00Z'),
        consent_recorded_by: 'Front door officer',
      })
      .execute();
    const before = await items();
    const rebuilt = await post(`${agenda()}/build`);
    expect(rebuilt.statusCode).toBe(303);
    expect(rebuilt.headers.location).toBe(`${agenda()}/changes`);
    const changes = (await page(rebuilt.headers.location as string)).body.replace(/\s+/g, ' ');
    expect(changes).toContain('EH-2027-0199');
    expect(changes).toContain('Not on this agenda');
    expect(await items()).toEqual(before);
  });
});
