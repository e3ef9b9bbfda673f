import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../src/db/client.ts';
import { buildApp } from '../../src/web/app.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';
import {
  createWorld,
  formToken,
  mintProformaLink,
  testConfig,
  type World,
  worldNow,
} from '../helpers/web-world.ts';

const complete = {
  consentGained: 'yes',
  'consentGainedOn-day': '8',
  'consentGainedOn-month': '3',
  'consentGainedOn-year': '2027',
  consentHow: 'Signed consent form, kept on the school file',
  needsConcerns: 'Attendance has fallen to 82% this term.',
  schoolSupport: 'Daily check-in with the learning mentor.',
  familyWantsToChange: 'Mornings that are less of a battle.',
  teamMembers: 'School nurse',
  leadSuggestion: 'family-support',
  leadReason: 'The needs are mostly at home.',
  attending: 'yes',
  attendFrom: '9.30',
  attendTo: '11:00',
};

describe.each(engines)('proforma form on %s', (engine) => {
  let handle: DbHandle;
  let world: World;
  let app: FastifyInstance;
  let token: string;
  let url: string;

  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    world = await createWorld(handle.db);
    app = await buildApp({ db: handle.db, config: testConfig, now: () => worldNow, logger: false });
    token = await mintProformaLink(handle.db, world.proformas.A, new Date('2027-03-17T12:30:00Z'));
    url = `/proforma/${token}`;
  });
  afterAll(async () => {
    await app.close();
    await handle.close();
  });

  const snapshot = async () => ({
    proforma: await handle.db
      .selectFrom('proformas')
      .selectAll()
      .where('id', '=', world.proformas.A)
      .executeTakeFirstOrThrow(),
    request: await handle.db
      .selectFrom('requests')
      .selectAll()
      .where('id', '=', world.requests.A)
      .executeTakeFirstOrThrow(),
    audit: Number(
      (await sql<{ n: number }>`select count(*) as n from audit_log`.execute(handle.db)).rows[0]?.n,
    ),
  });

  /** Posts the form as a browser would, with the token of the page it was on. */
  async function post(payload: Record<string, string>, page = url) {
    const form = await formToken(app, page);
    return app.inject({
      method: 'POST',
      url,
      headers: { cookie: form.cookie },
      payload: { ...payload, _csrf: form.csrf },
    });
  }

  it('opens from the emailed link without sign-in, in sections that follow the EHA principles; GET and HEAD change nothing', async () => {
    const before = await snapshot();
    const page = await app.inject({ url });
    expect(page.statusCode).toBe(200);
    for (const heading of [
      '1. Consent',
      '2. Needs and what the school is already doing',
      '3. What the family wants to change',
      '4. The team around the family',
      '5. Who should lead',
      '6. Availability for the slot',
    ])
      expect(page.body).toContain(heading);
    expect(page.body).toContain('EH-2027-0001');
    expect(page.body).toContain('10:30 to 11:00'); // the school's slot, local time
    expect(page.body).not.toContain('2016-05-03'); // no date of birth on the form
    expect((await app.inject({ method: 'HEAD', url })).statusCode).toBe(200);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an unknown or expired link with the same page', async () => {
    const expired = await mintProformaLink(handle.db, world.proformas.B, new Date(worldNow.getTime() - 1000));
    for (const bad of [`/proforma/${expired}`, '/proforma/not-a-token', `/proforma/${'x'.repeat(43)}`]) {
      const r = await app.inject({ url: bad });
      expect(r.statusCode).toBe(404);
      expect(r.body).toContain('This proforma link has expired or is not valid');
    }
  });

  it('saves a partial draft, keeping what was typed', async () => {
    const r = await post({ action: 'draft', needsConcerns: 'Attendance has fallen.', attendFrom: '09:30' });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe(`${url}?saved=draft`);
    const { proforma } = await snapshot();
    expect(proforma.status).toBe('draft');
    expect(proforma.answers).toEqual({
      needs: { concerns: 'Attendance has fallen.' },
      availability: { from: '09:30' },
    });
    const page = await app.inject({ url: `${url}?saved=draft` });
    expect(page.body).toContain('Your draft has been saved');
    expect(page.body).toContain('Attendance has fallen.');
    expect(page.body).toContain('value="09:30"');
  });

  it('on submit, names each missing or bad field in the error summary, keeps the input and saves nothing', async () => {
    const before = await snapshot();
    const r = await post({
      action: 'submit',
      consentGained: 'yes',
      'consentGainedOn-day': '31',
      'consentGainedOn-month': '2',
      'consentGainedOn-year': '2027',
      needsConcerns: 'Changed text that must not be saved',
      attending: 'yes',
      attendFrom: '11:00',
      attendTo: '10:00',
    });
    expect(r.statusCode).toBe(422);
    expect(r.body).toContain('govuk-error-summary');
    expect(r.body).toMatch(/<title>Error: /);
    for (const href of [
      '#consentGainedOn-day',
      '#consentHow',
      '#schoolSupport',
      '#familyWantsToChange',
      '#teamMembers',
      '#leadSuggestion',
      '#attendTo',
    ])
      expect(r.body).toContain(`href="${href}"`);
    expect(r.body).toContain('Changed text that must not be saved');
    expect(await snapshot()).toEqual(before);
  });

  it('submits, records consent and the attendance window on the request, then shows it read-only', async () => {
    const r = await post({ action: 'submit', ...complete });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe(`${url}?saved=submitted`);
    const { proforma, request } = await snapshot();
    expect(proforma).toMatchObject({
      status: 'submitted',
      submitted_at: worldNow,
      submitted_by: 'system:proforma-link',
    });
    expect(proforma.answers).toMatchObject({
      consent: { gained: 'yes', gainedOn: '2027-03-08' },
      lead: { suggestion: 'family-support' },
      availability: { attending: 'yes', from: '09:30', to: '11:00' },
    });
    expect(request).toMatchObject({
      consent_given: true,
      consent_recorded_by: 'Abbey Primary School (proforma)',
      attendance_from: '09:30',
      attendance_to: '11:00',
    });
    expect(request.consent_recorded_at).toEqual(new Date('2027-03-08T00:00:00Z'));
    const actions = await handle.db
      .selectFrom('audit_log')
      .select('action')
      .where('actor', '=', 'system:proforma-link')
      .execute();
    expect(actions.map((a) => a.action).sort()).toEqual([
      'proforma.draft-saved',
      'proforma.submitted',
      'request.attendance-window-set',
      'request.consent-recorded',
    ]);
    const page = await app.inject({ url: `${url}?saved=submitted` });
    expect(page.body).toContain('Proforma submitted');
    expect(page.body).not.toContain('<form method="post" action="/proforma/');
    expect(page.body).toContain('Family support team');
    // A second post (say from a tab left open) changes nothing.
    const again = await post({ action: 'draft', needsConcerns: 'late change' }, '/sign-in');
    expect(again.statusCode).toBe(303);
    expect((await snapshot()).proforma.answers).toEqual(proforma.answers);
  });

  it('a signed-in school edits its own proforma; others in scope read it; nobody else sees it', async () => {
    const own = await app.inject({
      url: `/proformas/${world.proformas.B}`,
      headers: { cookie: world.sessions.schoolB.cookie },
    });
    expect(own.statusCode).toBe(200);
    expect(own.body).toContain('Submit proforma');
    const draft = await app.inject({
      method: 'POST',
      url: `/proformas/${world.proformas.B}`,
      headers: { cookie: world.sessions.schoolB.cookie },
      payload: { action: 'draft', teamMembers: 'CAMHS', _csrf: world.sessions.schoolB.csrf },
    });
    expect(draft.statusCode).toBe(303);
    const saved = await handle.db
      .selectFrom('proformas')
      .select('answers')
      .where('id', '=', world.proformas.B)
      .executeTakeFirstOrThrow();
    expect(saved.answers).toEqual({ team: { members: 'CAMHS' } });
    const audit = await handle.db
      .selectFrom('audit_log')
      .select('actor')
      .where('action', '=', 'proforma.draft-saved')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(audit.actor).toBe(`user:${world.users.schoolB}`);

    expect(
      (
        await app.inject({
          url: `/proformas/${world.proformas.B}`,
          headers: { cookie: world.sessions.schoolA.cookie },
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await app.inject({
          url: `/proformas/${world.proformas.B}`,
          headers: { cookie: world.sessions.agencyA.cookie },
        })
      ).statusCode,
    ).toBe(404);
    const agency = await app.inject({
      url: `/proformas/${world.proformas.B}`,
      headers: { cookie: world.sessions.agencyB.cookie },
    });
    expect(agency.statusCode).toBe(200);
    expect(agency.body).not.toContain('Submit proforma');
    const chair = await app.inject({
      method: 'POST',
      url: `/proformas/${world.proformas.B}`,
      headers: { cookie: world.sessions.chair.cookie },
      payload: { action: 'draft', _csrf: world.sessions.chair.csrf },
    });
    expect(chair.statusCode).toBe(403);
  });
});
