import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planAndStoreSittings } from '../../src/calendar/sitting.service.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { type HubSchedule, hubScheduleSchema } from '../../src/domain/calendar.ts';
import {
  dateText,
  getHub,
  insertClosure,
  insertHub,
  updateHubSchedule,
} from '../../src/hubs/hub.repository.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';

function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['scripts/hub.mjs', ...args],
      { env, timeout: 100_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let hubCounter = 0;
const schedule = (overrides: Record<string, unknown> = {}): HubSchedule =>
  hubScheduleSchema.parse({
    name: `Hub ${++hubCounter}`,
    rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=WE',
    firstSitting: '2027-01-06',
    startTime: '09:30',
    slotsPerSitting: 8,
    breakAfterSlot: 4,
    breakMinutes: 15,
    ...overrides,
  });

describe.each(engines)('stored sittings on %s', (engine) => {
  let handle: DbHandle;
  beforeAll(async () => {
    handle = await createTestDatabase(engine);
  });
  afterAll(async () => {
    await handle.close();
  });

  // Raw rows, with `date` columns as text on both engines (in-memory PGlite returns Dates today).
  const rows = async (hubId: number) =>
    (
      await handle.db.selectFrom('sittings').selectAll().where('hub_id', '=', hubId).orderBy('date').execute()
    ).map((r) => ({
      ...r,
      date: dateText(r.date),
      moved_from: r.moved_from === null ? null : dateText(r.moved_from),
    }));
  const auditCount = async () =>
    (
      await handle.db
        .selectFrom('audit_log')
        .select(({ fn }) => fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n;

  it('creates six months of sittings at 09:30 local, copying the slot settings; a second run changes nothing', async () => {
    const hubId = await insertHub(handle.db, schedule());
    const now = new Date('2027-01-01T12:00:00Z');
    const first = await planAndStoreSittings(handle.db, hubId, { now });
    expect(first).toMatchObject({
      from: '2027-01-01',
      to: '2027-07-01',
      created: 13,
      moved: 0,
      cancelled: 0,
      unchanged: 0,
    });
    const stored = await rows(hubId);
    expect(stored.map((r) => r.date)).toEqual([
      '2027-01-06',
      '2027-01-20',
      '2027-02-03',
      '2027-02-17',
      '2027-03-03',
      '2027-03-17',
      '2027-03-31',
      '2027-04-14',
      '2027-04-28',
      '2027-05-12',
      '2027-05-26',
      '2027-06-09',
      '2027-06-23',
    ]);
    expect(stored[0]).toMatchObject({
      slot_count: 8,
      slot_minutes: 30,
      break_after_slot: 4,
      break_minutes: 15,
      status: 'planned',
    });
    expect(stored[0]!.starts_at.toISOString()).toBe('2027-01-06T09:30:00.000Z');
    expect(stored[0]!.ends_at.toISOString()).toBe('2027-01-06T13:45:00.000Z'); // 8 x 30 min + 15 min break
    expect(stored.at(-1)!.starts_at.toISOString()).toBe('2027-06-23T08:30:00.000Z'); // 09:30 BST

    const audit = await handle.db
      .selectFrom('audit_log')
      .select(['action', 'entity', 'entity_id'])
      .where('action', 'in', ['sitting.planned', 'hub.sittings.planned'])
      .where((eb) => eb.or([eb('entity', '=', 'sitting'), eb('entity_id', '=', String(hubId))]))
      .execute();
    expect(audit.filter((a) => a.action === 'sitting.planned')).toHaveLength(13);
    expect(
      audit.filter((a) => a.action === 'hub.sittings.planned' && a.entity_id === String(hubId)),
    ).toHaveLength(1);

    const auditBefore = await auditCount();
    const second = await planAndStoreSittings(handle.db, hubId, { now });
    expect(second).toMatchObject({ created: 0, moved: 0, cancelled: 0, unchanged: 13, changes: [] });
    expect(await rows(hubId)).toEqual(stored);
    expect(await auditCount()).toBe(auditBefore);
  });

  it("honours the hub's own closures and council-wide ones", async () => {
    // 2028, so the council-wide closure cannot touch the other tests' hubs (all in 2027).
    const hubId = await insertHub(
      handle.db,
      schedule({
        firstSitting: '2028-01-05',
        closures: [{ from: '2028-01-31', to: '2028-02-04', reason: 'Half term' }],
      }),
    );
    await insertClosure(handle.db, null, {
      startsOn: '2028-03-15',
      endsOn: '2028-03-15',
      reason: 'Council shutdown',
    });
    expect((await getHub(handle.db, hubId)).schedule.closures.map((c) => c.reason)).toEqual([
      'Half term',
      'Council shutdown',
    ]);
    await planAndStoreSittings(handle.db, hubId, { now: new Date('2028-01-01T12:00:00Z'), horizonMonths: 3 });
    const dates = (await rows(hubId)).map((r) => r.date);
    expect(dates).toEqual(['2028-01-05', '2028-01-19', '2028-02-16', '2028-03-01', '2028-03-29']);
  });

  it('a rule change moves only future planned sittings; the published one stays put', async () => {
    const hubId = await insertHub(handle.db, schedule());
    await planAndStoreSittings(handle.db, hubId, { now: new Date('2027-01-01T12:00:00Z') });
    const before = await rows(hubId);
    const published = before.find((r) => r.date === '2027-01-20')!;
    await handle.db
      .updateTable('sittings')
      .set({ status: 'published', published_at: new Date('2027-01-08T10:00:00Z') })
      .where('id', '=', published.id)
      .execute();

    // From Wednesdays at 09:30 to Thursdays at 10:00, re-planned on Sunday 10 January.
    await updateHubSchedule(
      handle.db,
      hubId,
      schedule({ rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TH', firstSitting: '2027-01-07', startTime: '10:00' }),
    );
    const now = new Date('2027-01-10T12:00:00Z');
    const summary = await planAndStoreSittings(handle.db, hubId, { now });
    expect(summary).toMatchObject({ created: 1, moved: 11, cancelled: 0, unchanged: 1 });

    const after = await rows(hubId);
    const byId = new Map(after.map((r) => [r.id, r]));
    // The past sitting (6 Jan) and the published one (20 Jan) are untouched, row for row.
    expect(byId.get(before[0]!.id)).toEqual(before[0]);
    expect(byId.get(published.id)).toMatchObject({
      date: '2027-01-20',
      status: 'published',
      starts_at: published.starts_at,
    });
    // The published Wednesday stands for its fortnight: no Thursday 21 January beside it.
    expect(after.map((r) => r.date)).not.toContain('2027-01-21');
    // Each planned Wednesday moved to the Thursday after it, keeping its id, at 10:00 local.
    for (const old of before.filter((r) => r.date > '2027-01-20')) {
      const moved = byId.get(old.id)!;
      expect(moved.date).toBe(
        new Date(Date.parse(`${old.date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10),
      );
      expect(moved.status).toBe('planned');
    }
    expect(byId.get(before.at(-1)!.id)!.starts_at.toISOString()).toBe('2027-06-24T09:00:00.000Z');
    expect(after.at(-1)).toMatchObject({ date: '2027-07-08', status: 'planned' });

    // Idempotent after the change too.
    const again = await planAndStoreSittings(handle.db, hubId, { now });
    expect(again).toMatchObject({ created: 0, moved: 0, cancelled: 0 });
    expect(await rows(hubId)).toEqual(after);
  });

  it('a published sitting never moves, even onto a new closure; planned ones move or are cancelled', async () => {
    const hubId = await insertHub(
      handle.db,
      schedule({
        rrule: 'FREQ=WEEKLY;BYDAY=MO',
        firstSitting: '2027-01-04',
        holidayPolicy: 'next-working-day',
      }),
    );
    const now = new Date('2027-01-01T12:00:00Z');
    await planAndStoreSittings(handle.db, hubId, { now, horizonMonths: 2 });
    const before = await rows(hubId);
    const jan11 = before.find((r) => r.date === '2027-01-11')!;
    const jan18 = before.find((r) => r.date === '2027-01-18')!;
    await handle.db
      .updateTable('sittings')
      .set({ status: 'published', published_at: now })
      .where('id', '=', jan11.id)
      .execute();
    await insertClosure(handle.db, hubId, {
      startsOn: '2027-01-11',
      endsOn: '2027-01-11',
      reason: 'Training day',
    });
    await insertClosure(handle.db, hubId, {
      startsOn: '2027-01-18',
      endsOn: '2027-01-18',
      reason: 'Office move',
    });

    const summary = await planAndStoreSittings(handle.db, hubId, { now, horizonMonths: 2 });
    const after = await rows(hubId);
    const byId = new Map(after.map((r) => [r.id, r]));
    // The published 11 January stays on its day, and no second sitting is added on the 12th.
    expect(byId.get(jan11.id)).toEqual({ ...jan11, status: 'published', published_at: now });
    expect(after.map((r) => r.date)).not.toContain('2027-01-12');
    // The planned 18 January moves to the next working day, keeping its id, with its rule date recorded.
    expect(byId.get(jan18.id)).toMatchObject({
      date: '2027-01-19',
      moved_from: '2027-01-18',
      status: 'planned',
    });
    expect(summary).toMatchObject({ moved: 1, cancelled: 0, created: 0 });
  });

  it('cancels planned sittings a sparser rule drops, and brings them back when the rule returns', async () => {
    const hubId = await insertHub(handle.db, schedule());
    const now = new Date('2027-01-01T12:00:00Z');
    await planAndStoreSittings(handle.db, hubId, { now });
    const fortnightly = await rows(hubId);

    await updateHubSchedule(handle.db, hubId, schedule({ rrule: 'FREQ=WEEKLY;INTERVAL=4;BYDAY=WE' }));
    const sparse = await planAndStoreSittings(handle.db, hubId, { now });
    expect(sparse).toMatchObject({ created: 0, moved: 0, cancelled: 6, unchanged: 7 });
    const cancelled = (await rows(hubId)).filter((r) => r.status === 'cancelled');
    expect(cancelled.map((r) => r.date)).toEqual([
      '2027-01-20',
      '2027-02-17',
      '2027-03-17',
      '2027-04-14',
      '2027-05-12',
      '2027-06-09',
    ]);
    expect(cancelled[0]!.status_reason).toBe("Re-planned: no longer a date of the hub's rule");

    await updateHubSchedule(handle.db, hubId, schedule());
    const back = await planAndStoreSittings(handle.db, hubId, { now });
    expect(back).toMatchObject({ created: 6, moved: 0, cancelled: 0, unchanged: 7 });
    const restored = await rows(hubId);
    expect(restored.map((r) => [r.id, r.date, r.status])).toEqual(
      fortnightly.map((r) => [r.id, r.date, 'planned']),
    );
  });

  it('two planners of the same hub at once create each sitting once', async () => {
    const hubId = await insertHub(handle.db, schedule());
    const now = new Date('2027-01-01T12:00:00Z');
    const [a, b] = await Promise.all([
      planAndStoreSittings(handle.db, hubId, { now }),
      planAndStoreSittings(handle.db, hubId, { now }),
    ]);
    expect(a.created + b.created).toBe(13);
    expect(await rows(hubId)).toHaveLength(13);
  });

  it("`hub plan --hub ID` prints the stored hub's plan; `--store` persists it once", async (context) => {
    if (engine !== 'postgres') context.skip(); // the CLI reaches the database through DATABASE_URL
    const hubId = await insertHub(handle.db, schedule({ firstSitting: '2027-01-06' }));
    const env = { ...process.env, DATABASE_URL: (handle as DbHandle & { url: string }).url };
    const dry = await cli(
      ['plan', '--hub', String(hubId), '--from', '2027-03-01', '--to', '2027-04-30', '--json'],
      env,
    );
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).sittings.map((s: { date: string }) => s.date)).toEqual([
      '2027-03-03',
      '2027-03-17',
      '2027-03-31',
      '2027-04-14',
      '2027-04-28',
    ]);
    expect(await rows(hubId)).toEqual([]); // a dry run writes nothing
    const stored = await cli(['plan', '--hub', String(hubId), '--store', '--json'], env);
    expect(stored.code).toBe(0);
    const first = JSON.parse(stored.stdout);
    expect(first.created).toBeGreaterThan(0);
    expect(await rows(hubId)).toHaveLength(first.created);
    const again = JSON.parse((await cli(['plan', '--hub', String(hubId), '--store', '--json'], env)).stdout);
    expect(again).toMatchObject({ created: 0, moved: 0, cancelled: 0, unchanged: first.created });
  }, 120_000);

  it('refuses an unknown hub and a silly horizon', async () => {
    await expect(planAndStoreSittings(handle.db, 999_999, { now: new Date() })).rejects.toMatchObject({
      code: 'not-found',
    });
    const hubId = await insertHub(handle.db, schedule());
    await expect(
      planAndStoreSittings(handle.db, hubId, { now: new Date(), horizonMonths: 0 }),
    ).rejects.toMatchObject({
      code: 'invalid-input',
      issues: [{ field: 'horizonMonths', message: expect.any(String) }],
    });
  });
});
