import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { startSession } from '../../src/auth/session.service.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { engines } from '../helpers/database.ts';
import { sessionPages, useWebApp } from '../helpers/web-app.ts';
import { createWorld, type World, worldNow } from '../helpers/web-world.ts';

/*
 * Admin reference data: schools and agencies (validated by the import's row schemas, so a form,
 * the API and a CSV row agree), people (role and scope checked by the database, the refusal named
 * on its field; deactivated rather than deleted), the need taxonomy; lists with search and pages.
 */

describe.each(engines)('admin reference data on %s', (engine) => {
  let handle: DbHandle, world: World, app: FastifyInstance;
  useWebApp(engine, createWorld, (opened) => ({ handle, world, app } = opened));
  const { page: get, post } = sessionPages(() => ({ app, world }), 'admin');
  const api = (method: 'POST' | 'PATCH', url: string, payload: Record<string, unknown>) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${world.bearers.admin}` }, payload });
  const schoolCount = async () => (await handle.db.selectFrom('schools').select('id').execute()).length;

  const school = {
    URN: '100777',
    EstablishmentName: 'Castle Primary',
    Locality: 'north',
    PhaseOfEducation: 'Primary',
    Postcode: '',
    SafeguardingLeadEmails: 'dsl@castle.test\nDeputy@Castle.test',
  };

  it('refuses a bad school alike in the form and the API, naming the field and keeping the input', async () => {
    const before = await schoolCount();
    const form = await post('/admin/schools/new', {
      ...school,
      URN: '12345',
      SafeguardingLeadEmails: 'not-an-email',
    });
    expect(form.statusCode).toBe(422);
    expect(form.body).toContain('href="#URN"');
    expect(form.body).toContain('URN: must be a 6-digit DfE URN');
    expect(form.body).toContain('Safeguarding lead emails: must be an email address');
    expect(form.body).toContain('value="12345"');
    expect(form.body).toContain('Castle Primary');
    const apiBad = await api('POST', '/api/v1/schools', {
      ...school,
      URN: '12345',
      SafeguardingLeadEmails: 'not-an-email',
    });
    expect(apiBad.statusCode).toBe(422);
    expect(apiBad.json().errors).toEqual([
      { field: 'URN', message: 'must be a 6-digit DfE URN' },
      { field: 'SafeguardingLeadEmails.0', message: 'must be an email address' },
    ]);
    const unknownLocality = await post('/admin/schools/new', { ...school, Locality: 'east' });
    expect(unknownLocality.statusCode).toBe(422);
    expect(unknownLocality.body).toContain('Locality: is not one of the council’s localities');
    expect(await schoolCount()).toBe(before);
  });

  it('adds and edits a school, audited, and refuses a URN already taken', async () => {
    const added = await post('/admin/schools/new', school);
    expect(added.statusCode).toBe(303);
    const row = await handle.db
      .selectFrom('schools')
      .selectAll()
      .where('urn', '=', 100777)
      .executeTakeFirstOrThrow();
    expect(row.safeguarding_lead_emails).toEqual(['dsl@castle.test', 'deputy@castle.test']);
    expect(row.postcode).toBeNull();
    const taken = await post(`/admin/schools/${row.id}`, { ...school, URN: String(world.schools.A.urn) });
    expect(taken.statusCode).toBe(422);
    expect(taken.body).toContain('URN: is already the URN of another school');
    const edited = await post(`/admin/schools/${row.id}`, {
      ...school,
      EstablishmentName: 'Castle Primary Academy',
    });
    expect(edited.statusCode).toBe(303);
    expect((await get(edited.headers.location as string)).body).toContain('The school has been saved.');
    const patched = await api('PATCH', `/api/v1/schools/${row.id}`, { Postcode: 'AB1 2CD' });
    expect(patched.json()).toMatchObject({
      name: 'Castle Primary Academy',
      postcode: 'AB1 2CD',
      urn: 100777,
    });
    const audit = await handle.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('entity', '=', 'school')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['school.created', 'school.updated', 'school.updated']);
    expect(audit[1]?.details).toEqual({ urn: 100777, changed: ['EstablishmentName'] });
  });

  it('searches and pages the school list', async () => {
    for (let i = 0; i < 30; i += 1)
      await handle.db
        .insertInto('schools')
        .values({ urn: 200100 + i, name: `Oak School ${String(i).padStart(2, '0')}`, locality: 'south' })
        .execute();
    const first = await get('/admin/schools?q=oak');
    expect(first.body).toContain('Showing 1 to 25 of 30 schools.');
    expect(first.body).toContain('Oak School 00');
    expect(first.body).not.toContain('Oak School 29');
    expect(first.body).toContain('href="/admin/schools?q=oak&amp;page=2"');
    const second = await get('/admin/schools?q=oak&page=2');
    expect(second.body).toContain('Showing 26 to 30 of 30 schools.');
    expect(second.body).toContain('Oak School 29');
    expect((await get('/admin/schools?q=200105')).body).toContain('Oak School 05');
    expect((await get('/admin/schools?q=%25')).body).toContain('No schools found.');
  });

  it('validates agencies with the import row schema and keeps live active cases', async () => {
    const bad = await post('/admin/agencies/new', {
      Name: 'School nursing',
      Kind: 'school',
      Specialisms: ['parenting'],
      MinAge: '12',
      MaxAge: '5',
      Capacity: '3',
      ContactEmail: 'nurse@health.test',
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Oldest age: must not be below MinAge');
    expect(bad.body).toContain('Localities: must name at least one locality unless CityWide is yes');
    expect(bad.body).toContain('School URN: is required when Kind is school');
    expect(bad.body).toMatch(/name="Specialisms" type="checkbox" value="parenting" checked/);
    const created = await api('POST', '/api/v1/agencies', {
      Name: 'School nursing',
      Kind: 'health',
      Specialisms: ['parenting', 'attendance'],
      CityWide: true,
      MinAge: 5,
      MaxAge: 16,
      Capacity: 4,
      ActiveCases: 3,
      ContactEmail: 'Nurse@Health.test',
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    expect(created.json()).toMatchObject({
      contactEmail: 'nurse@health.test',
      activeCases: 3,
      cityWide: true,
    });
    const tooSmall = await api('PATCH', `/api/v1/agencies/${id}`, { Capacity: 2 });
    expect(tooSmall.statusCode).toBe(422);
    expect(tooSmall.json().errors).toEqual([
      { field: 'Capacity', message: 'must be at least the 3 active cases' },
    ]);
    expect((await api('PATCH', `/api/v1/agencies/${id}`, { ActiveCases: 0 })).statusCode).toBe(422);
    const unknownNeed = await api('PATCH', `/api/v1/agencies/${id}`, { Specialisms: ['housing'] });
    expect(unknownNeed.json().errors).toEqual([
      { field: 'Specialisms', message: 'has an unknown need code "housing"' },
    ]);
    const off = await post(`/admin/agencies/${id}`, {
      Name: 'School nursing',
      Kind: 'health',
      Specialisms: 'parenting',
      CityWide: 'yes',
      MinAge: '5',
      MaxAge: '16',
      Capacity: '6',
      ContactEmail: 'nurse@health.test',
      SchoolURN: '',
      Active: 'no',
    });
    expect(off.statusCode).toBe(303);
    const row = await handle.db
      .selectFrom('agencies')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ active: false, capacity: 6, active_cases: 3, specialisms: ['parenting'] });
    const audit = await handle.db
      .selectFrom('audit_log')
      .select('action')
      .where('entity', '=', 'agency')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['agency.created', 'agency.deactivated']);
  });

  it("maps the users table's scope CHECK to the field, and saves nothing", async () => {
    const users = async () => (await handle.db.selectFrom('users').select('id').execute()).length;
    const before = await users();
    const schoolWithout = await post('/admin/users/new', {
      displayName: 'Dee Lead',
      email: 'dee@abbey.test',
      role: 'school',
      schoolId: '',
      agencyId: '',
    });
    expect(schoolWithout.statusCode).toBe(422);
    expect(schoolWithout.body).toContain('href="#schoolId"');
    expect(schoolWithout.body).toContain('School: must be chosen for a school user');
    expect(schoolWithout.body).toContain('value="dee@abbey.test"');
    const chairScoped = await post('/admin/users/new', {
      displayName: 'Cara Chair',
      email: 'cara@council.test',
      role: 'chair',
      schoolId: '',
      agencyId: String(world.agencies.A),
    });
    expect(chairScoped.statusCode).toBe(422);
    expect(chairScoped.body).toContain(
      'Agency: must be chosen for an agency user, and left empty for any other role',
    );
    const duplicate = await post('/admin/users/new', {
      displayName: 'Someone',
      email: 'Chair@Council.test',
      role: 'chair',
    });
    expect(duplicate.body).toContain('Email: is already the email of another person');
    expect(await users()).toBe(before);
    const ok = await post('/admin/users/new', {
      displayName: 'Dee Lead',
      email: 'Dee@Abbey.test',
      role: 'school',
      schoolId: String(world.schools.A.id),
    });
    expect(ok.statusCode).toBe(303);
    expect(await users()).toBe(before + 1);
  });

  it('deactivates a person: signed out at once, refused at sign-in, never deleted', async () => {
    const session = await startSession(handle.db, world.users.coordinator, worldNow);
    const coordinatorCookie = `hub_session=${session.sessionId}`;
    expect((await app.inject({ url: '/', headers: { cookie: coordinatorCookie } })).statusCode).toBe(200);
    const r = await post(`/admin/users/${world.users.coordinator}/deactivate`, {});
    expect(r.statusCode).toBe(303);
    expect((await get(r.headers.location as string)).body).toContain('The person has been deactivated');
    const after = await app.inject({ url: '/', headers: { cookie: coordinatorCookie } });
    expect(after.statusCode).toBe(303);
    expect(after.headers.location).toBe('/sign-in');
    const row = await handle.db
      .selectFrom('users')
      .select('active')
      .where('id', '=', world.users.coordinator)
      .executeTakeFirst();
    expect(row?.active).toBe(false);
    expect((await post(`/admin/users/${world.users.coordinator}/reactivate`, {})).statusCode).toBe(303);
    const self = await post(`/admin/users/${world.users.admin}/deactivate`, {});
    expect(self.statusCode).toBe(409);
    const audit = await handle.db
      .selectFrom('audit_log')
      .select('action')
      .where('entity', '=', 'user')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['user.deactivated', 'user.reactivated']),
    );
  });

  it('adds and edits needs of the taxonomy', async () => {
    const bad = await post('/admin/needs/new', {
      code: 'Mental Health',
      label: '',
      category: '',
      description: '',
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Code: must be a lower-case code');
    expect(bad.body).toContain('Label: is required');
    expect(
      (await post('/admin/needs/new', { code: 'housing', label: 'Housing', category: '' })).statusCode,
    ).toBe(303);
    const dup = await post('/admin/needs/new', { code: 'housing', label: 'Housing again' });
    expect(dup.body).toContain('Code: is already a need');
    expect(
      (await post('/admin/needs/housing', { label: 'Housing and tenancy', category: 'home' })).statusCode,
    ).toBe(303);
    const need = await handle.db
      .selectFrom('needs')
      .selectAll()
      .where('code', '=', 'housing')
      .executeTakeFirst();
    expect(need).toEqual({
      code: 'housing',
      label: 'Housing and tenancy',
      category: 'home',
      description: '',
    });
    expect((await get('/admin/needs?q=tenancy')).body).toContain('href="/admin/needs/housing"');
  });
});
