import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { DbHandle } from '../../src/db/client.ts';
import { engines } from '../helpers/database.ts';
import { useWebApp } from '../helpers/web-app.ts';
import { createWorld, type World } from '../helpers/web-world.ts';

/*
 * Admin hubs and closures: the preview-then-save form (no JavaScript needed), validation by the
 * planner's schema with the field named and the input kept, re-planning on save, and the API.
 */

describe.each(engines)('admin hubs on %s', (engine) => {
  let handle: DbHandle, world: World, app: FastifyInstance;
  useWebApp(engine, createWorld, (opened) => ({ handle, world, app } = opened));
  const admin = () => ({ cookie: world.sessions.admin.cookie });
  /** The hub form as a person fills it in: Mondays weekly from 1 March 2027 at 09:30. */
  const hubForm = (overrides: Record<string, string> = {}) => ({
    _csrf: world.sessions.admin.csrf,
    name: 'Test hub',
    timezone: 'Europe/London',
    rrule: 'FREQ=WEEKLY;BYDAY=MO',
    'firstSitting-day': '1',
    'firstSitting-month': '3',
    'firstSitting-year': '2027',
    startTime: '09:30',
    slotMinutes: '30',
    slotsPerSitting: '6',
    breakAfterSlot: '',
    breakMinutes: '0',
    holidayPolicy: 'skip',
    missingProformaPolicy: 'flag',
    proformaDeadlineWorkingDays: '2',
    reminderCadence: '5, 2, 1',
    agendaLeadWorkingDays: '7',
    action: 'preview',
    ...overrides,
  });
  const post = (url: string, payload: Record<string, string>) =>
    app.inject({ method: 'POST', url, headers: admin(), payload });
  const storedHub = () =>
    handle.db.selectFrom('hubs').selectAll().where('id', '=', world.hubId).executeTakeFirstOrThrow();
  const auditCount = async (action: string) =>
    (await handle.db.selectFrom('audit_log').select('id').where('action', '=', action).execute()).length;
  const api = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${world.bearers.admin}` },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  it('lists hubs with their next sitting and opens one in the form', async () => {
    const list = await app.inject({ url: '/admin/hubs', headers: admin() });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`href="/admin/hubs/${world.hubId}"`);
    expect(list.body).toContain('Wednesday 17 March 2027');
    const form = await app.inject({ url: `/admin/hubs/${world.hubId}`, headers: admin() });
    expect(form.body).toContain('value="FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"');
    expect(form.body).toContain('name="firstSitting-day" type="text" value="3"');
    expect(form.body).not.toContain('Save hub'); // only after a preview
  });

  it('previews the sittings with a bank holiday skipped by name, and saves nothing', async () => {
    const before = await storedHub();
    const r = await post(`/admin/hubs/${world.hubId}`, hubForm());
    expect(r.statusCode).toBe(200);
    const skipped = r.body.slice(r.body.indexOf('id="preview-skipped"'));
    expect(skipped).toContain('Monday 29 March 2027');
    expect(skipped).toContain('Easter Monday');
    expect(skipped).toContain('No sitting');
    expect(skipped).toContain('Monday 3 May 2027');
    expect(skipped).toContain('Early May bank holiday');
    const sittings = r.body.slice(
      r.body.indexOf('id="preview-sittings"'),
      r.body.indexOf('id="preview-skipped"'),
    );
    expect(sittings).toContain('Monday 22 March 2027');
    expect(sittings).not.toContain('Monday 29 March 2027');
    expect(sittings).toContain('09:30 to 12:30');
    expect(r.body).toContain('Save hub');
    expect(r.body).toMatch(/name="previewDigest" value="[\w-]+"/);
    expect(await storedHub()).toEqual(before);

    const moved = await post(`/admin/hubs/${world.hubId}`, hubForm({ holidayPolicy: 'next-working-day' }));
    expect(moved.body).toContain('Moved to Tuesday 30 March 2027');
    expect(moved.body).toContain('Moved from Monday 29 March 2027 (Easter Monday)');
  });

  it('names a bad RRULE in the error summary, keeps what was typed, and saves nothing', async () => {
    const before = await storedHub();
    const audits = await auditCount('hub.updated');
    for (const action of ['preview', 'save']) {
      const r = await post(
        `/admin/hubs/${world.hubId}`,
        hubForm({ rrule: 'FREQ=WEEKLY;BYDAY=XX', startTime: '25:00', slotsPerSitting: 'six', action }),
      );
      expect(r.statusCode).toBe(422);
      expect(r.body).toContain('There is a problem');
      expect(r.body).toContain('href="#rrule"');
      expect(r.body).toContain('Recurrence rule: not a valid RRULE: BYDAY &quot;XX&quot; is not a weekday');
      expect(r.body).toContain('href="#startTime"');
      expect(r.body).toContain('Slots per sitting: must be a whole number');
      expect(r.body).toContain('value="FREQ=WEEKLY;BYDAY=XX"');
      expect(r.body).toContain('value="six"');
      expect(r.body).toContain('value="5, 2, 1"');
      expect(r.body).not.toContain('id="preview-sittings"');
    }
    const late = await post(`/admin/hubs/${world.hubId}`, hubForm({ breakAfterSlot: '6' }));
    expect(late.statusCode).toBe(422);
    expect(late.body).toContain('Break after slot: must be from 1 to 5');
    const notRuleDate = await post(`/admin/hubs/${world.hubId}`, hubForm({ 'firstSitting-day': '2' }));
    expect(notRuleDate.body).toContain('href="#firstSitting-day"');
    expect(notRuleDate.body).toContain('is not a date of the rule (its first date from then is 2027-03-08)');
    expect(await storedHub()).toEqual(before);
    expect(await auditCount('hub.updated')).toBe(audits);
  });

  it('asks for a new preview when a Save carries values that were not previewed', async () => {
    const before = await storedHub();
    const preview = await post(`/admin/hubs/${world.hubId}`, hubForm());
    const digest = /name="previewDigest" value="([\w-]+)"/.exec(preview.body)?.[1] ?? '';
    const r = await post(
      `/admin/hubs/${world.hubId}`,
      hubForm({ action: 'save', previewDigest: digest, startTime: '10:00' }),
    );
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('You changed the settings after the last preview');
    expect(r.body).toContain('10:00 to 13:00');
    expect(await storedHub()).toEqual(before);
  });

  it('saves a previewed hub, audits it and re-plans its future sittings', async () => {
    const preview = await post(
      `/admin/hubs/${world.hubId}`,
      hubForm({ breakAfterSlot: '3', breakMinutes: '15' }),
    );
    const digest = /name="previewDigest" value="([\w-]+)"/.exec(preview.body)?.[1] ?? '';
    const r = await post(
      `/admin/hubs/${world.hubId}`,
      hubForm({ action: 'save', previewDigest: digest, breakAfterSlot: '3', breakMinutes: '15' }),
    );
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toMatch(
      new RegExp(`^/admin/hubs/${world.hubId}\\?saved=1&created=\\d+&moved=1`),
    );
    const hub = await storedHub();
    expect(hub).toMatchObject({ rrule: 'FREQ=WEEKLY;BYDAY=MO', break_after_slot: 3, break_minutes: 15 });
    const audit = await handle.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'hub.updated')
      .executeTakeFirstOrThrow();
    expect(audit.actor).toBe(`user:${world.users.admin}`);
    expect(audit.details).toMatchObject({
      rrule: { from: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=WE', to: 'FREQ=WEEKLY;BYDAY=MO' },
      breakAfterSlot: { from: null, to: 3 },
    });
    // The planned sitting of Wednesday 17 March keeps its id (and agenda) and moves to Monday 22nd.
    const moved = await handle.db
      .selectFrom('sittings')
      .select(['date', 'status'])
      .where('id', '=', world.sittingId)
      .executeTakeFirstOrThrow();
    expect(String(moved.date)).toBe('2027-03-22');
    const dates = (
      await handle.db
        .selectFrom('sittings')
        .select('date')
        .where('hub_id', '=', world.hubId)
        .where('status', '=', 'planned')
        .orderBy('date')
        .execute()
    ).map((s) => String(s.date));
    expect(dates).not.toContain('2027-03-29'); // Easter Monday
    expect(dates.slice(0, 3)).toEqual(['2027-03-22', '2027-04-05', '2027-04-12']);
    const page = await app.inject({ url: r.headers.location as string, headers: admin() });
    expect(page.body).toContain('Hub saved.');
    expect(page.body).toMatch(/Sittings re-planned: \d+ added, 1 moved, \d+ cancelled/);
  });

  it('creates a hub from the form after a preview', async () => {
    const values = hubForm({
      name: 'West hub',
      rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TH',
      'firstSitting-day': '4',
    });
    const preview = await post('/admin/hubs/new', values);
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('Thursday 18 March 2027');
    const digest = /name="previewDigest" value="([\w-]+)"/.exec(preview.body)?.[1] ?? '';
    const r = await post('/admin/hubs/new', { ...values, action: 'save', previewDigest: digest });
    expect(r.statusCode).toBe(303);
    const id = Number(/^\/admin\/hubs\/(\d+)\?/.exec(r.headers.location as string)?.[1]);
    const sittings = await handle.db.selectFrom('sittings').select('date').where('hub_id', '=', id).execute();
    expect(sittings.length).toBeGreaterThan(10);
    const again = await post('/admin/hubs/new', { ...values, action: 'save', previewDigest: digest });
    expect(again.statusCode).toBe(422);
    expect(again.body).toContain('Name: is already the name of another hub');
  });

  it('adds and removes closures with a reason, re-planning the hubs they apply to', async () => {
    const page = await app.inject({ url: `/admin/closures?hub=${world.hubId}`, headers: admin() });
    expect(page.statusCode).toBe(200);
    const bad = await post(`/admin/closures?hub=${world.hubId}`, {
      _csrf: world.sessions.admin.csrf,
      hubId: String(world.hubId),
      'from-day': '12',
      'from-month': '4',
      'from-year': '2027',
      'to-day': '9',
      'to-month': '4',
      'to-year': '2027',
      reason: '',
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('href="#reason"');
    expect(bad.body).toContain('value="12"');
    const added = await post(`/admin/closures?hub=${world.hubId}`, {
      _csrf: world.sessions.admin.csrf,
      hubId: '',
      'from-day': '12',
      'from-month': '4',
      'from-year': '2027',
      reason: 'Staff training day',
    });
    expect(added.statusCode).toBe(303);
    expect(added.headers.location).toContain('added=1');
    const closure = await handle.db
      .selectFrom('closures')
      .selectAll()
      .where('reason', '=', 'Staff training day')
      .executeTakeFirstOrThrow();
    expect(closure.hub_id).toBeNull();
    const on12 = () =>
      handle.db
        .selectFrom('sittings')
        .select(['status', 'status_reason'])
        .where('hub_id', '=', world.hubId)
        .where('date', '=', '2027-04-12')
        .executeTakeFirst();
    expect(await on12()).toMatchObject({
      status: 'cancelled',
      status_reason: 'Re-planned: Staff training day',
    });
    const removed = await post(`/admin/closures/${closure.id}/remove`, { _csrf: world.sessions.admin.csrf });
    expect(removed.statusCode).toBe(303);
    expect((await on12())?.status).toBe('planned');
    expect(await auditCount('closure.added')).toBe(1);
    expect(await auditCount('closure.removed')).toBe(1);
  });

  it('creates and patches hubs through the API with problems that name the field', async () => {
    const body = {
      name: 'North hub',
      rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU',
      firstSitting: '2027-03-02',
      startTime: '13:30',
      slotsPerSitting: 4,
      holidayPolicy: 'next-working-day',
      reminderCadence: [3, 1],
    };
    const bad = await api('POST', '/api/v1/hubs', { ...body, rrule: 'FREQ=HOURLY', colour: 'red' });
    expect(bad.statusCode).toBe(422);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json().errors).toContainEqual({ field: '(root)', message: expect.stringContaining('colour') });
    const badRule = await api('POST', '/api/v1/hubs', { ...body, rrule: 'FREQ=HOURLY' });
    expect(badRule.json().errors).toEqual([
      { field: 'rrule', message: expect.stringContaining('FREQ=HOURLY is not supported') },
    ]);
    const created = await api('POST', '/api/v1/hubs', body);
    expect(created.statusCode).toBe(201);
    const hub = created.json();
    expect(hub).toMatchObject({
      name: 'North hub',
      timezone: 'Europe/London',
      slotMinutes: 30,
      breakAfterSlot: null,
      reminderCadence: [3, 1],
      missingProformaPolicy: 'flag',
      replanned: [{ hubId: hub.id, created: expect.any(Number), moved: 0, cancelled: 0 }],
    });
    const patched = await api('PATCH', `/api/v1/hubs/${hub.id}`, { startTime: '14:00', breakAfterSlot: 4 });
    expect(patched.statusCode).toBe(422);
    expect(patched.json().errors).toEqual([
      { field: 'breakAfterSlot', message: expect.stringContaining('from 1 to 3') },
    ]);
    const ok = await api('PATCH', `/api/v1/hubs/${hub.id}`, { startTime: '14:00' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ startTime: '14:00', replanned: [{ moved: expect.any(Number) }] });
    expect(ok.json().replanned[0].moved).toBeGreaterThan(5);
    expect((await api('PATCH', '/api/v1/hubs/999999', { startTime: '14:00' })).statusCode).toBe(404);

    const closure = await api('POST', '/api/v1/closures', {
      hubId: hub.id,
      from: '2027-04-13',
      reason: 'Inset day',
    });
    expect(closure.statusCode).toBe(201);
    expect(closure.json().replanned).toEqual([
      { hubId: hub.id, created: expect.any(Number), moved: 1, cancelled: 0 },
    ]);
    const backwards = await api('POST', '/api/v1/closures', {
      hubId: hub.id,
      from: '2027-04-13',
      to: '2027-04-01',
      reason: 'x',
    });
    expect(backwards.statusCode).toBe(422);
    expect(backwards.json().errors).toEqual([{ field: 'to', message: expect.any(String) }]);
    const gone = await api('DELETE', `/api/v1/closures/${closure.json().id}`);
    expect(gone.statusCode).toBe(200);
    expect((await api('DELETE', `/api/v1/closures/${closure.json().id}`)).statusCode).toBe(404);
  });
});
