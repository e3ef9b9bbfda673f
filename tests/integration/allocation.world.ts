import { afterAll, beforeAll } from 'vitest';
import type { Actor } from '../../src/actor.ts';
import { computeSuggestions } from '../../src/allocation/suggestion.service.ts';
import type { Db } from '../../src/db/client.ts';
import { type AppError, isAppError } from '../../src/errors.ts';
import { createTestDatabase, type Engine } from '../helpers/database.ts';

/*
 * Suggestions, accept / override and closing a case on a real database, for the allocation*.test.ts
 * files: West Hub sits on Wednesday 31 March 2027 (24 slots). Agencies: family (west, parenting and
 * housing, 1 of 2 places free), school (Ashfield Primary's own early help, attendance and parenting),
 * full (city-wide, no free place), youth (city-wide, ages 12 to 18). On the agenda:
 * R1: 11 on the sitting day (12 the next day); the school's own early help works on both needs.
 * R2: 12 on the sitting day, so the youth service (12+) is a candidate too.
 * R3: housing in the east: the only agency working on housing serves the west.
 */

export const now = new Date('2027-03-31T15:00:00Z'); // 16:00 in London (BST): the decision day is 31 March

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

/** A request on the sitting's agenda (in the given slot), with its family, children and needs. */
async function addRequest(
  db: Db,
  s: Seeded,
  slot: number,
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
    .values({ sitting_id: s.sittingId, sitting_slot_count: 24, slot, family_id: family.id })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('agenda_item_requests')
    .values({ agenda_item_id: item.id, sitting_id: s.sittingId, request_id: request.id })
    .execute();
  return request.id;
}

export const agencyUser = (userId: number, agencyId: number): Actor => ({
  kind: 'user',
  userId,
  role: 'agency',
  schoolId: null,
  agencyId,
});

/** The error a piece of work was refused with; fails if it was not refused. */
export async function refusal(work: () => Promise<unknown>): Promise<AppError> {
  try {
    await work();
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

async function createAllocationWorld(db: Db) {
  const s = await seed(db);
  let slot = 0;
  const add = (reference: string, options: Parameters<typeof addRequest>[4]) =>
    addRequest(db, s, slot++, reference, options);
  const requests = {
    R1: await add('R1', { needs: ['parenting', 'attendance'], dob: '2015-04-01', school: true }),
    R2: await add('R2', { needs: ['parenting'], dob: '2015-03-31' }),
    R3: await add('R3', { needs: ['housing'], dob: '2020-06-01', locality: 'east' }),
  };
  const coordinator: Actor = {
    kind: 'user',
    userId: s.users.coordinator,
    role: 'coordinator',
    schoolId: null,
    agencyId: null,
  };
  return {
    ...s,
    db,
    coordinator,
    requests,
    addRequest: add,
    /** The suggestions stored for a request on the sitting, the proposal (rank 0) first. */
    stored: (requestId: number) =>
      db
        .selectFrom('suggestions')
        .selectAll()
        .where('sitting_id', '=', s.sittingId)
        .where('request_id', '=', requestId)
        .orderBy('rank')
        .execute(),
    /** How many active cases an agency has now. */
    activeCases: async (agencyId: number) =>
      (
        await db
          .selectFrom('agencies')
          .select('active_cases')
          .where('id', '=', agencyId)
          .executeTakeFirstOrThrow()
      ).active_cases,
    /** A request's status now. */
    status: async (requestId: number) =>
      (await db.selectFrom('requests').select('status').where('id', '=', requestId).executeTakeFirstOrThrow())
        .status,
  };
}

export type AllocationWorld = Awaited<ReturnType<typeof createAllocationWorld>>;

/** Computes the sitting's suggestions as the coordinator. */
export const suggest = (w: AllocationWorld) =>
  computeSuggestions(w.db, w.sittingId, { now, actor: w.coordinator });

/**
 * A database of its own for the tests of the calling describe block, seeded with the world above and
 * then `prepare`d (say, suggestions computed). The world returned is filled in before the tests run.
 */
export function useAllocationWorld(
  engine: Engine,
  prepare: (world: AllocationWorld) => Promise<unknown> = async () => {},
): AllocationWorld {
  const world = {} as AllocationWorld;
  let handle: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    Object.assign(world, await createAllocationWorld(handle.db));
    await prepare(world);
  });
  afterAll(async () => {
    await handle?.close();
  });
  return world;
}
