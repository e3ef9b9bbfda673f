import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/actor.ts';
import { renderAgendaCsv, renderAgendaHtml, renderAgendaInvites } from '../../src/agenda/agenda.render.ts';
import { buildAndStoreAgenda, getAgendaView } from '../../src/agenda/agenda.service.ts';
import {
  deferAgendaItem,
  moveAgendaItem,
  pinAgendaItem,
  publishSittingAgenda,
  swapAgendaItems,
  unpinAgendaItem,
} from '../../src/agenda/agenda-edits.service.ts';
import type { Db } from '../../src/db/client.ts';
import { isAppError } from '../../src/errors.ts';
import { createTestDatabase, type Engine, engines } from '../helpers/database.ts';

const chair: Actor = { kind: 'user', userId: 7, role: 'chair', schoolId: null, agencyId: null };
const ctx = { now: new Date('2027-03-24T10:00:00Z'), actor: chair };

/** A hub with 4 slots of 30 minutes from 09:30 BST, a 15-minute break after the second slot. */
async function seedHub(db: Db) {
  await db.insertInto('localities').values({ code: 'north', name: 'North' }).execute();
  const hub = await db
    .insertInto('hubs')
    .values({
      name: 'North Early Help Hub',
      rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=WE',
      first_sitting: '2027-03-31',
      start_time: '09:30',
      slots_per_sitting: 4,
      break_after_slot: 2,
      break_minutes: 15,
      missing_proforma_policy: 'defer',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const sitting = (date: string, startsAt: string, endsAt: string) =>
    db
      .insertInto('sittings')
      .values({
        hub_id: hub.id,
        date,
        starts_at: startsAt,
        ends_at: endsAt,
        slot_count: 4,
        slot_minutes: 30,
        break_after_slot: 2,
        break_minutes: 15,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
      .then((r) => r.id);
  const schools = await db
    .insertInto('schools')
    .values([
      {
        urn: 100001,
        name: 'Ashfield Primary School',
        locality: 'north',
        safeguarding_lead_emails: ['dsl@ashfield.example'],
      },
      {
        urn: 100002,
        name: 'Beaumont Academy',
        locality: 'north',
        safeguarding_lead_emails: ['dsl@beaumont.example'],
      },
    ])
    .returning('id')
    .execute();
  return {
    hubId: hub.id,
    s1: await sitting('2027-03-31', '2027-03-31T08:30:00Z', '2027-03-31T10:45:00Z'),
    s2: await sitting('2027-04-14', '2027-04-14T08:30:00Z', '2027-04-14T10:45:00Z'),
    schools: schools.map((s) => s.id),
  };
}

type Seeded = Awaited<ReturnType<typeof seedHub>>;

async function addRequest(
  db: Db,
  seeded: Seeded,
  reference: string,
  family: string,
  options: { urgency?: string; consent?: boolean; received?: string; school?: number } = {},
): Promise<number> {
  const existing = await db
    .selectFrom('families')
    .select('id')
    .where('reference', '=', family)
    .executeTakeFirst();
  const familyId =
    existing?.id ??
    (
      await db
        .insertInto('families')
        .values({ reference: family, locality: 'north' })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  const schoolId = seeded.schools[options.school ?? 0]!;
  const consent = options.consent ?? true;
  const request = await db
    .insertInto('requests')
    .values({
      reference,
      hub_id: seeded.hubId,
      kind: 'new',
      family_id: familyId,
      school_id: schoolId,
      referrer_name: 'Referrer',
      referrer_organisation: 'School',
      received_at: options.received ?? '2027-03-01T09:00:00Z',
      urgency: options.urgency ?? 'normal',
      consent_given: consent,
      consent_recorded_at: consent ? '2027-03-01T09:00:00Z' : null,
      consent_recorded_by: consent ? 'coordinator' : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  // Names exist in the database; no rendering may show them.
  const child = await db
    .insertInto('children')
    .values({
      family_id: familyId,
      school_id: schoolId,
      date_of_birth: '2016-05-04',
      given_name: 'Amelia',
      family_name: 'Quenby',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.insertInto('request_children').values({ request_id: request.id, child_id: child.id }).execute();
  return request.id;
}

describe.each(engines)('stored agenda on %s', (engine: Engine) => {
  let handle: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  let seeded: Seeded;
  const ids: Record<string, number> = {};

  const request = (ref: string) =>
    db
      .selectFrom('requests')
      .select(['status', 'times_carried_over'])
      .where('reference', '=', ref)
      .executeTakeFirstOrThrow();
  const itemOf = async (family: string) => {
    const view = await getAgendaView(db, seeded.s1);
    return view.items.find((i) => i.familyReference === family);
  };
  const layout = async (sittingId: number) => {
    const view = await getAgendaView(db, sittingId);
    return {
      items: view.items.map((i) => `${i.slot}:${i.familyReference}${i.pinned ? '*' : ''}`),
      deferred: Object.fromEntries(view.deferred.map((d) => [d.reference, d.reason])),
    };
  };

  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    db = handle.db;
    seeded = await seedHub(db);
    ids.A1 = await addRequest(db, seeded, 'EH-A1', 'FAM-A', { urgency: 'high', school: 0 });
    ids.A2 = await addRequest(db, seeded, 'EH-A2', 'FAM-A', { received: '2027-03-05T09:00:00Z', school: 1 });
    ids.B = await addRequest(db, seeded, 'EH-B', 'FAM-B', { received: '2027-02-01T09:00:00Z' });
    ids.C = await addRequest(db, seeded, 'EH-C', 'FAM-C', { received: '2027-02-02T09:00:00Z' });
    ids.D = await addRequest(db, seeded, 'EH-D', 'FAM-D');
    ids.E = await addRequest(db, seeded, 'EH-E', 'FAM-E', { consent: false });
    ids.G = await addRequest(db, seeded, 'EH-G', 'FAM-G', {
      urgency: 'low',
      received: '2027-02-01T09:00:00Z',
    });
    ids.H = await addRequest(db, seeded, 'EH-H', 'FAM-H', {
      urgency: 'low',
      received: '2027-03-01T09:00:00Z',
    });
    // D's proforma for this sitting was asked for and its deadline has passed: policy defer.
    await db
      .insertInto('proformas')
      .values({ request_id: ids.D, sitting_id: seeded.s1, deadline_at: '2027-03-22T17:00:00Z' })
      .execute();
  });
  afterAll(async () => {
    await handle?.close();
  });

  it('builds the agenda: whole families, gates, overflow, statuses, carry-over and audit', async () => {
    const result = await buildAndStoreAgenda(db, seeded.s1, ctx);
    expect(result.kind).toBe('built');
    expect(await layout(seeded.s1)).toEqual({
      items: ['0:FAM-A', '1:FAM-B', '2:FAM-C', '3:FAM-G'],
      deferred: { 'EH-D': 'proforma-missing', 'EH-E': 'consent-missing', 'EH-H': 'no-slot' },
    });
    expect((await itemOf('FAM-A'))?.requests.map((r) => r.reference)).toEqual(['EH-A1', 'EH-A2']);
    expect(await request('EH-A2')).toEqual({ status: 'on-agenda', times_carried_over: 0 });
    expect(await request('EH-H')).toEqual({ status: 'open', times_carried_over: 1 });
    expect(await request('EH-E')).toEqual({ status: 'open', times_carried_over: 0 });
    const sitting = await db
      .selectFrom('sittings')
      .select('agenda_built_at')
      .where('id', '=', seeded.s1)
      .executeTakeFirstOrThrow();
    expect(sitting.agenda_built_at).toEqual(ctx.now);
    const audit = await db
      .selectFrom('audit_log')
      .select(['action', 'actor'])
      .where('action', '=', 'agenda.built')
      .execute();
    expect(audit).toEqual([{ action: 'agenda.built', actor: 'user:7' }]);
  });

  it('rebuilds a draft idempotently: same rows, no second carry-over', async () => {
    const before = await db.selectFrom('agenda_items').selectAll().orderBy('id').execute();
    const result = await buildAndStoreAgenda(db, seeded.s1, ctx);
    expect(result).toMatchObject({ kind: 'built', changed: false });
    expect(await db.selectFrom('agenda_items').selectAll().orderBy('id').execute()).toEqual(before);
    expect(await request('EH-H')).toEqual({ status: 'open', times_carried_over: 1 });
  });

  it('keeps pins and chair moves on rebuild, and undoes a carry-over that no longer happens', async () => {
    const b = (await itemOf('FAM-B'))!;
    const c = (await itemOf('FAM-C'))!;
    const g = (await itemOf('FAM-G'))!;
    await swapAgendaItems(db, seeded.s1, b.id, c.id, ctx);
    await pinAgendaItem(db, seeded.s1, g.id, ctx);
    ids.N = await addRequest(db, seeded, 'EH-N', 'FAM-N', {
      urgency: 'high',
      received: '2027-03-10T09:00:00Z',
    });
    await buildAndStoreAgenda(db, seeded.s1, ctx);
    // Pins and moves beat priority: only slot 0 was free, and FAM-A is older than FAM-N.
    expect(await layout(seeded.s1)).toMatchObject({
      items: ['0:FAM-A', '1:FAM-C', '2:FAM-B', '3:FAM-G*'],
      deferred: { 'EH-N': 'no-slot', 'EH-H': 'no-slot' },
    });
    expect(await request('EH-N')).toMatchObject({ times_carried_over: 1 });

    await unpinAgendaItem(db, seeded.s1, g.id, ctx);
    await buildAndStoreAgenda(db, seeded.s1, ctx);
    expect(await layout(seeded.s1)).toMatchObject({
      items: ['0:FAM-A', '1:FAM-C', '2:FAM-B', '3:FAM-N'],
      deferred: { 'EH-G': 'no-slot', 'EH-H': 'no-slot' },
    });
    expect(await request('EH-N')).toEqual({ status: 'on-agenda', times_carried_over: 0 });
    expect(await request('EH-G')).toEqual({ status: 'open', times_carried_over: 1 });
  });

  it('applies and audits chair edits; refuses a bad one and writes nothing', async () => {
    const c = (await itemOf('FAM-C'))!;
    const note = 'Waiting for the health visitor report about Amelia';
    await deferAgendaItem(db, seeded.s1, c.id, note, ctx);
    expect(await request('EH-C')).toEqual({ status: 'open', times_carried_over: 1 });
    const deferral = await db
      .selectFrom('agenda_deferrals')
      .selectAll()
      .where('request_id', '=', ids.C!)
      .executeTakeFirstOrThrow();
    expect(deferral).toMatchObject({ reason: 'chair-deferred', note });

    const n = (await itemOf('FAM-N'))!;
    await moveAgendaItem(db, seeded.s1, n.id, 1, ctx);
    const auditCount = async () => (await db.selectFrom('audit_log').select('id').execute()).length;
    const count = await auditCount();
    await expect(moveAgendaItem(db, seeded.s1, n.id, 0, ctx)).rejects.toMatchObject({ code: 'conflict' });
    await expect(deferAgendaItem(db, seeded.s1, n.id, ' ', ctx)).rejects.toMatchObject({
      code: 'invalid-input',
    });
    await expect(moveAgendaItem(db, seeded.s1, 999_999, 0, ctx)).rejects.toMatchObject({ code: 'not-found' });
    expect(await auditCount()).toBe(count);

    // The chair's deferral survives a rebuild; the freed slot goes to the next in line.
    await buildAndStoreAgenda(db, seeded.s1, ctx);
    expect(await layout(seeded.s1)).toMatchObject({
      items: ['0:FAM-A', '1:FAM-N', '2:FAM-B', '3:FAM-G'],
      deferred: { 'EH-C': 'chair-deferred', 'EH-H': 'no-slot' },
    });
    expect(await request('EH-C')).toEqual({ status: 'open', times_carried_over: 1 });

    const audit = await db.selectFrom('audit_log').select(['action', 'details']).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining([
        'agenda.items.swapped',
        'agenda.item.pinned',
        'agenda.item.unpinned',
        'agenda.item.deferred',
        'agenda.item.moved',
        'agenda.rebuilt',
      ]),
    );
    expect(JSON.stringify(audit)).not.toMatch(/Amelia|Quenby|health visitor/);
  });

  it('freezes a published agenda: edits refused, a rebuild reports changes and writes nothing', async () => {
    await publishSittingAgenda(db, seeded.s1, ctx);
    const sitting = await db
      .selectFrom('sittings')
      .select(['status', 'published_at'])
      .where('id', '=', seeded.s1)
      .executeTakeFirstOrThrow();
    expect(sitting).toEqual({ status: 'published', published_at: ctx.now });
    const b = (await itemOf('FAM-B'))!;
    await expect(pinAgendaItem(db, seeded.s1, b.id, ctx)).rejects.toMatchObject({ code: 'conflict' });

    await addRequest(db, seeded, 'EH-P', 'FAM-P', { urgency: 'high', received: '2027-03-20T09:00:00Z' });
    const before = await layout(seeded.s1);
    const result = await buildAndStoreAgenda(db, seeded.s1, ctx);
    expect(result.kind).toBe('frozen');
    if (result.kind !== 'frozen') return;
    expect(result.changes).toEqual([
      { requestId: 'EH-P', before: { where: 'absent' }, after: { where: 'deferred', reason: 'no-slot' } },
    ]);
    expect(await layout(seeded.s1)).toEqual(before);
    expect(await request('EH-P')).toEqual({ status: 'open', times_carried_over: 0 });
  });

  it("builds the next sitting from what this one did not hear, never taking another agenda's requests", async () => {
    await buildAndStoreAgenda(db, seeded.s2, ctx);
    const next = await layout(seeded.s2);
    const placed = (await getAgendaView(db, seeded.s2)).items.flatMap((i) =>
      i.requests.map((r) => r.reference),
    );
    expect(placed).not.toEqual(expect.arrayContaining(['EH-A1']));
    for (const ref of ['EH-A1', 'EH-A2', 'EH-B', 'EH-N', 'EH-G']) expect(placed).not.toContain(ref);
    expect(next.deferred).toMatchObject({ 'EH-E': 'consent-missing' });
    expect(next.items).toEqual(['0:FAM-P', '1:FAM-C', '2:FAM-D', '3:FAM-H']);
    const c = (await getAgendaView(db, seeded.s2)).items.find((i) => i.familyReference === 'FAM-C');
    expect(c?.flags).toContain('carried-over');
  });

  it('renders print, CSV and invites with references and schools, never child names', async () => {
    const view = await getAgendaView(db, seeded.s1);
    const html = renderAgendaHtml(view, ctx.now);
    expect(html).toContain('North Early Help Hub');
    expect(html).toContain('Wednesday 31 March 2027');
    expect(html).toContain('09:30–10:00');
    expect(html).toContain('10:30–10:45'); // the break
    expect(html).toContain('EH-A1');
    expect(html).toContain('Beaumont Academy');
    const csv = renderAgendaCsv(view);
    expect(csv.split('\r\n')[1]).toBe(
      'scheduled,0,1,2027-03-31T09:30:00+01:00,2027-03-31T10:00:00+01:00,FAM-A,EH-A1,new,high,100001,Ashfield Primary School,proforma-pending,',
    );
    const invites = renderAgendaInvites(view, {
      stamp: ctx.now.toISOString(),
      organizer: 'hub@council.example',
    });
    const famA = invites.filter((i) => i.filename.includes('FAM-A'));
    expect(famA.map((i) => [i.schoolName, i.to])).toEqual([
      ['Ashfield Primary School', ['dsl@ashfield.example']],
      ['Beaumont Academy', ['dsl@beaumont.example']],
    ]);
    // Each school sees its own request only.
    expect(famA[0]?.ics).toContain('EH-A1');
    expect(famA[0]?.ics).not.toContain('EH-A2');
    for (const text of [html, csv, ...invites.map((i) => i.ics)])
      expect(text).not.toMatch(/Amelia|Quenby|2016-05-04/);
  });

  it('refuses an unknown sitting', async () => {
    const error = await buildAndStoreAgenda(db, 999_999, ctx).catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe('not-found');
  });
});
