import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/actor.ts';
import {
  acceptSuggestion,
  closeAllocation,
  overrideAllocation,
} from '../../src/allocation/allocation.service.ts';
import { computeSuggestions } from '../../src/allocation/suggestion.service.ts';
import type { Db } from '../../src/db/client.ts';
import { type AppError, isAppError } from '../../src/errors.ts';
import { createTestDatabase, type Engine, engines } from '../helpers/database.ts';

/*
 * Suggestions, accept / override and closing a case on a real database: every decision writes the
 * allocation, the agency's count, the request's status and the audit entry together, or nothing.
 */

const now = new Date('2027-03-31T15:00:00Z'); // 16:00 in London (BST): the decision day is 31 March

async function seed(db: Db) {
  await db
    .insertInto('localities')
    .values([
      { code: 'west', name: 'West' },
      { code: 'east', name: 'East' },
    ])
    .execute();
  await db
    .insertInto('needs')
    .values(['parenting', 'attendance', 'housing'].map((code) => ({ code, label: code })))
    .execute();
  const hub = await db
    .insertInto('hubs')
    .values({
      name: 'West Hub',
      rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=WE',
      first_sitting: '2027-03-31',
      start_time: '09:30',
      slots_per_sitting: 24,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const sitting = await db
    .insertInto('sittings')
    .values({
      hub_id: hub.id,
      date: '2027-03-31',
      starts_at: '2027-03-31T08:30:00Z',
      ends_at: '2027-03-31T20:30:00Z',
      slot_count: 24,
      slot_minutes: 30,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const school = await db
    .insertInto('schools')
    .values({ urn: 100001, name: 'Ashfield Primary', locality: 'west' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const agency = (name: string, values: Record<string, unknown>) =>
    db
      .insertInto('agencies')
      .values({
        name,
        kind: 'family-support',
        specialisms: ['parenting'],
        localities: ['west'],
        capacity: 5,
        active_cases: 0,
        contact_email: `${name.toLowerCase().replace(/\W+/g, '-')}@agency.example`,
        ...values,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
      .then((r) => r.id);
  const agencies = {
    family: await agency('Family Support West', {
      specialisms: ['parenting', 'housing'],
      capacity: 2,
      active_cases: 1,
    }),
    school: await agency('Ashfield Early Help', {
      kind: 'school',
      school_id: school.id,
      specialisms: ['attendance', 'parenting'],
    }),
    full: await agency('City Parenting', {
      kind: 'voluntary',
      city_wide: true,
      localities: [],
      capacity: 1,
      active_cases: 1,
    }),
    youth: await agency('Youth Service', {
      kind: 'youth',
      city_wide: true,
      localities: [],
      min_age: 12,
      max_age: 18,
    }),
  };
  const user = (email: string, role: string, agencyId: number | null = null) =>
    db
      .insertInto('users')
      .values({ email, display_name: email, role, agency_id: agencyId })
      .returning('id')
      .executeTakeFirstOrThrow()
      .then((r) => r.id);
  const users = {
    coordinator: await user('co@council.example', 'coordinator'),
    familyAgency: await user('lead@family.example', 'agency', agencies.family),
    schoolAgency: await user('lead@school.example', 'agency', agencies.school),
  };
  return { hubId: hub.id, sittingId: sitting.id, schoolId: school.id, agencies, users };
}

type Seeded = Awaited<ReturnType<typeof seed>>;

let slot = 0;
/** A request on the sitting's agenda, with its family, children and needs. */
async function addRequest(
  db: Db,
  s: Seeded,
  reference: string,
  options: { needs: string[]; dob: string; locality?: string; school?: boolean },
): Promise<number> {
  const family = await db
    .insertInto('families')
    .values({ reference: `F-${reference}`, locality: options.locality ?? 'west' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const child = await db
    .insertInto('children')
    .values({
      family_id: family.id,
      date_of_birth: options.dob,
      school_id: options.school ? s.schoolId : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const request = await db
    .insertInto('requests')
    .values({
      reference,
      hub_id: s.hubId,
      kind: 'new',
      family_id: family.id,
      referrer_name: 'Referrer',
      referrer_organisation: 'School',
      received_at: '2027-03-01T09:00:00Z',
      consent_given: true,
      consent_recorded_at: '2027-03-01T09:00:00Z',
      consent_recorded_by: 'coordinator',
      status: 'on-agenda',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.insertInto('request_children').values({ request_id: request.id, child_id: child.id }).execute();
  await db
    .insertInto('request_needs')
    .values(options.needs.map((need_code) => ({ request_id: request.id, need_code, severity: 2 })))
    .execute();
  const item = await db
    .insertInto('agenda_items')
    .values({ sitting_id: s.sittingId, sitting_slot_count: 24, slot: slot++, family_id: family.id })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('agenda_item_requests')
    .values({ agenda_item_id: item.id, sitting_id: s.sittingId, request_id: request.id })
    .execute();
  return request.id;
}

const coordinatorOf = (s: Seeded): Actor => ({
  kind: 'user',
  userId: s.users.coordinator,
  role: 'coordinator',
  schoolId: null,
  agencyId: null,
});
const agencyUser = (userId: number, agencyId: number): Actor => ({
  kind: 'user',
  userId,
  role: 'agency',
  schoolId: null,
  agencyId,
});

async function refusal(work: () => Promise<unknown>): Promise<AppError> {
  try {
    await work();
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe.each(engines)('allocation on %s', (engine: Engine) => {
  let handle: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  let s: Seeded;
  let coordinator: Actor;
  const requests: Record<string, number> = {};

  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    db = handle.db;
    slot = 0;
    s = await seed(db);
    coordinator = coordinatorOf(s);
    // R1: 11 on the sitting day (12 the next day); the school's own early help works on both needs.
    requests.R1 = await addRequest(db, s, 'R1', {
      needs: ['parenting', 'attendance'],
      dob: '2015-04-01',
      school: true,
    });
    // R2: 12 on the sitting day, so the youth service (12+) is a candidate too.
    requests.R2 = await addRequest(db, s, 'R2', { needs: ['parenting'], dob: '2015-03-31' });
    // R3: housing in the east: the only agency working on housing serves the west.
    requests.R3 = await addRequest(db, s, 'R3', { needs: ['housing'], dob: '2020-06-01', locality: 'east' });
  });

  afterAll(async () => {
    await handle?.close();
  });

  const stored = (requestId: number) =>
    db
      .selectFrom('suggestions')
      .selectAll()
      .where('sitting_id', '=', s.sittingId)
      .where('request_id', '=', requestId)
      .orderBy('rank')
      .execute();

  it('stores the proposal and alternatives with exact scores and readable breakdowns', async () => {
    const { proposal } = await computeSuggestions(db, s.sittingId, { now, actor: coordinator });
    const r1 = await stored(requests.R1!);
    expect(r1.map((x) => [x.rank, x.agency_id])).toEqual([
      [0, s.agencies.school],
      [1, s.agencies.family],
    ]);
    const breakdown = r1[0]!.breakdown as { text: string };
    expect(breakdown.text).toBe(
      'needs 2/2 covered (attendance, parenting); same locality; already involved; 5 of 5 places free; school suits 1/2 needs',
    );
    expect(r1[0]!.score).toBe(proposal.assignments.find((a) => a.requestId === String(requests.R1))!.score);
    // Ages are taken on the sitting day: only R2's child is already 12.
    expect((await stored(requests.R2!)).map((x) => x.agency_id)).toContain(s.agencies.youth);
    expect(r1.map((x) => x.agency_id)).not.toContain(s.agencies.youth);
    expect(proposal.unassigned).toEqual([
      expect.objectContaining({ requestId: String(requests.R3), reason: 'locality' }),
    ]);
    const audit = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'suggestions.computed')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).toMatchObject({ requests: 3, assigned: 2 });
  });

  it('recomputes in place: the same rows, never duplicated', async () => {
    const before = await db
      .selectFrom('suggestions')
      .select(['request_id', 'agency_id', 'rank', 'score'])
      .orderBy('id')
      .execute();
    await computeSuggestions(db, s.sittingId, { now, actor: coordinator });
    const after = await db
      .selectFrom('suggestions')
      .select(['request_id', 'agency_id', 'rank', 'score'])
      .orderBy('id')
      .execute();
    expect(after).toEqual(before);
  });

  it('stores why a request has no proposal, replaced on each computation in the same transaction', async () => {
    const reasons = () =>
      db
        .selectFrom('unassigned_reasons')
        .select(['request_id', 'reason'])
        .where('sitting_id', '=', s.sittingId)
        .orderBy('request_id')
        .execute();
    // R3 (housing, east): the only agency working on housing serves the west.
    expect(await reasons()).toEqual([{ request_id: requests.R3, reason: 'locality' }]);
    const suggestionsNow = () =>
      db.selectFrom('suggestions').select(['request_id', 'agency_id', 'rank']).orderBy('id').execute();
    const before = await suggestionsNow();

    // The agency takes the east too: R3 gets a lead, and its stored reason goes.
    const serve = (localities: string[]) =>
      db.updateTable('agencies').set({ localities }).where('id', '=', s.agencies.family).execute();
    await serve(['west', 'east']);
    await computeSuggestions(db, s.sittingId, { now, actor: coordinator });
    expect(await reasons()).toEqual([]);
    expect((await stored(requests.R3!)).map((x) => x.rank)).toContain(0);

    // Back to the west only: the reason is stored again, and a computation that fails half-way
    // (here the reasons' insert is refused) leaves the previous suggestions and reasons as they were.
    await serve(['west']);
    await computeSuggestions(db, s.sittingId, { now, actor: coordinator });
    expect(await reasons()).toEqual([{ request_id: requests.R3, reason: 'locality' }]);
    expect(await suggestionsNow()).toEqual(before);
    await sql
      .raw(`create function refuse_reasons() returns trigger language plpgsql as $$
        begin raise exception 'refused for the test'; end $$`)
      .execute(db);
    await sql
      .raw(
        'create trigger refuse_reasons before insert on unassigned_reasons for each row execute function refuse_reasons()',
      )
      .execute(db);
    try {
      await serve(['west', 'east']);
      await db.updateTable('agencies').set({ active: false }).where('id', '=', s.agencies.school).execute();
      await expect(computeSuggestions(db, s.sittingId, { now, actor: coordinator })).rejects.toThrow(
        'refused for the test',
      );
    } finally {
      await sql.raw('drop trigger refuse_reasons on unassigned_reasons').execute(db);
      await sql.raw('drop function refuse_reasons()').execute(db);
      await serve(['west']);
      await db.updateTable('agencies').set({ active: true }).where('id', '=', s.agencies.school).execute();
    }
    expect(await suggestionsNow()).toEqual(before);
    expect(await reasons()).toEqual([{ request_id: requests.R3, reason: 'locality' }]);
  });

  it('accepts a proposal: allocation, place, request status, review dates and audit together', async () => {
    const [proposal] = await stored(requests.R1!);
    const decision = await acceptSuggestion(db, proposal!.id, { now, actor: coordinator });
    expect(decision).toMatchObject({ decision: 'accepted', reviewDueOn: '2027-06-30', endsBy: '2028-03-31' });
    const allocation = await db
      .selectFrom('allocations')
      .selectAll()
      .where('request_id', '=', requests.R1!)
      .executeTakeFirstOrThrow();
    expect(allocation).toMatchObject({
      agency_id: s.agencies.school,
      suggestion_id: proposal!.id,
      sitting_id: s.sittingId,
      decided_by_user_id: s.users.coordinator,
      decision: 'accepted',
      override_reason: null,
      review_due_on: '2027-06-30',
      ends_by: '2028-03-31',
    });
    const agency = await db
      .selectFrom('agencies')
      .select('active_cases')
      .where('id', '=', s.agencies.school)
      .executeTakeFirstOrThrow();
    expect(agency.active_cases).toBe(1);
    const request = await db
      .selectFrom('requests')
      .select('status')
      .where('id', '=', requests.R1!)
      .executeTakeFirstOrThrow();
    expect(request.status).toBe('allocated');
    const audit = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'allocation.accepted')
      .execute();
    expect(audit.map((a) => a.entity_id)).toEqual([String(decision.allocationId)]);
  });

  it('refuses a second decision on an allocated request, and an alternative accepted without a reason', async () => {
    const [proposal, alternative] = await stored(requests.R1!);
    expect((await refusal(() => acceptSuggestion(db, proposal!.id, { now, actor: coordinator }))).code).toBe(
      'conflict',
    );
    const error = await refusal(() => acceptSuggestion(db, alternative!.id, { now, actor: coordinator }));
    expect(error.code).toBe('invalid-input');
    expect(error.issues[0]?.field).toBe('suggestionId');
  });

  it('requires a reason to override, and refuses a full agency without writing anything', async () => {
    const input = {
      requestId: requests.R2!,
      agencyId: s.agencies.full,
      reason: '  ',
      sittingId: s.sittingId,
    };
    const noReason = await refusal(() => overrideAllocation(db, input, { now, actor: coordinator }));
    expect(noReason.code).toBe('invalid-input');
    expect(noReason.issues[0]?.field).toBe('reason');
    const full = await refusal(() =>
      overrideAllocation(db, { ...input, reason: 'Knows the family' }, { now, actor: coordinator }),
    );
    expect(full.code).toBe('conflict');
    expect(full.message).toContain('no free place');
    expect(
      await db.selectFrom('allocations').selectAll().where('request_id', '=', requests.R2!).execute(),
    ).toEqual([]);
    const request = await db
      .selectFrom('requests')
      .select('status')
      .where('id', '=', requests.R2!)
      .executeTakeFirstOrThrow();
    expect(request.status).toBe('on-agenda');
  });

  it('overrides with a reason, linking the suggestion when the agency was an alternative', async () => {
    const suggestion = (await stored(requests.R2!)).find((x) => x.agency_id === s.agencies.youth)!;
    expect(suggestion.rank).toBeGreaterThan(0);
    const decision = await overrideAllocation(
      db,
      {
        requestId: requests.R2!,
        agencyId: s.agencies.youth,
        reason: 'Already known to the youth worker',
        sittingId: s.sittingId,
      },
      { now, actor: coordinator },
    );
    expect(decision.decision).toBe('overridden');
    const allocation = await db
      .selectFrom('allocations')
      .selectAll()
      .where('id', '=', decision.allocationId)
      .executeTakeFirstOrThrow();
    expect(allocation).toMatchObject({
      decision: 'overridden',
      override_reason: 'Already known to the youth worker',
      suggestion_id: suggestion.id,
    });
    const audit = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'allocation.overridden')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(audit.details)).not.toContain('youth worker');
  });

  it('closes a case for the agency only: outcome recorded, place released, request closed', async () => {
    const allocation = await db
      .selectFrom('allocations')
      .selectAll()
      .where('request_id', '=', requests.R1!)
      .executeTakeFirstOrThrow();
    const other = agencyUser(s.users.familyAgency, s.agencies.family);
    const own = agencyUser(s.users.schoolAgency, s.agencies.school);
    const input = { allocationId: allocation.id, outcome: 'outcomes-met' };
    expect((await refusal(() => closeAllocation(db, input, { now, actor: other }))).code).toBe('not-found');
    expect(
      (await refusal(() => closeAllocation(db, { ...input, outcome: 'done' }, { now, actor: own }))).code,
    ).toBe('invalid-input');
    await closeAllocation(db, input, { now, actor: own });
    const closed = await db
      .selectFrom('allocations')
      .selectAll()
      .where('id', '=', allocation.id)
      .executeTakeFirstOrThrow();
    expect(closed.outcome).toBe('outcomes-met');
    expect(closed.closed_at).toEqual(now);
    const agency = await db
      .selectFrom('agencies')
      .select('active_cases')
      .where('id', '=', s.agencies.school)
      .executeTakeFirstOrThrow();
    expect(agency.active_cases).toBe(0);
    const request = await db
      .selectFrom('requests')
      .selectAll()
      .where('id', '=', requests.R1!)
      .executeTakeFirstOrThrow();
    expect(request).toMatchObject({
      status: 'closed',
      closed_by_user_id: s.users.schoolAgency,
      closed_reason: 'case closed: outcomes-met',
    });
    expect((await refusal(() => closeAllocation(db, input, { now, actor: own }))).code).toBe('conflict');
    const agencyAfter = await db
      .selectFrom('agencies')
      .select('active_cases')
      .where('id', '=', s.agencies.school)
      .executeTakeFirstOrThrow();
    expect(agencyAfter.active_cases).toBe(0);
  });

  it('lets only coordinators, the chair or admins decide', async () => {
    const [suggestion] = await stored(requests.R3!);
    const actor = agencyUser(s.users.familyAgency, s.agencies.family);
    const error = await refusal(() =>
      overrideAllocation(
        db,
        { requestId: requests.R3!, agencyId: s.agencies.family, reason: 'x' },
        { now, actor },
      ),
    );
    expect(error.code).toBe('forbidden');
    expect(suggestion).toBeUndefined();
  });

  it.runIf(engine === 'postgres')(
    'lets exactly one of many concurrent accepts take the last place; the others get conflict',
    async () => {
      const last = await db
        .insertInto('agencies')
        .values({
          name: 'Last Place',
          kind: 'voluntary',
          specialisms: ['parenting'],
          city_wide: true,
          capacity: 3,
          active_cases: 2,
          contact_email: 'last@agency.example',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      // Eight coordinators each see a (stale) proposal giving their request the same last place.
      const ids: number[] = [];
      for (let i = 0; i < 8; i++)
        ids.push(await addRequest(db, s, `RACE${i}`, { needs: ['parenting'], dob: '2016-01-01' }));
      const rows = await db
        .insertInto('suggestions')
        .values(
          ids.map((request_id) => ({
            sitting_id: s.sittingId,
            request_id,
            agency_id: last.id,
            rank: 0,
            score: 0.5,
            breakdown: '{}',
          })),
        )
        .returning('id')
        .execute();
      const results = await Promise.allSettled(
        rows.map((r) => acceptSuggestion(db, r.id, { now, actor: coordinator })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost.map((r) => (isAppError(r.reason) ? r.reason.code : String(r.reason)))).toEqual(
        Array(7).fill('conflict'),
      );
      const agency = await db
        .selectFrom('agencies')
        .select(['active_cases', 'capacity'])
        .where('id', '=', last.id)
        .executeTakeFirstOrThrow();
      expect(agency.active_cases).toBe(agency.capacity);
      const allocated = await db
        .selectFrom('allocations')
        .select('request_id')
        .where('agency_id', '=', last.id)
        .execute();
      expect(allocated).toHaveLength(1);
      const statuses = await db.selectFrom('requests').select('status').where('id', 'in', ids).execute();
      expect(statuses.filter((r) => r.status === 'allocated')).toHaveLength(1);
      expect(statuses.filter((r) => r.status === 'on-agenda')).toHaveLength(7);
    },
  );
});
