import type { Kysely } from 'kysely';
import type { Database } from '../../schema/database.ts';
import { createWorld, type World } from '../helpers/web-world.ts';

/*
 * The web world (tests/helpers/web-world.ts) plus what the coordinator's queue and the agency's pages
 * need, on the sitting of Wednesday 17 March 2027: two requests of school A (north, parenting) waiting
 * for a lead (R1, R2), one held back because consent is not recorded (R3); agency A (north) has one
 * free place (2 places, 1 active case: request A), agency C is city-wide with 5 free places, so the
 * batch gives one request A and the other C. School A has a safeguarding lead (proformas can be sent
 * again) and the proforma of request A was escalated.
 */

export interface AllocationWorld extends World {
  agencyC: number;
  queued: { R1: number; R2: number; R3: number };
}

export async function createAllocationWorld(db: Kysely<Database>): Promise<AllocationWorld> {
  const world = await createWorld(db);
  await db
    .updateTable('schools')
    .set({ safeguarding_lead_emails: ['dsl@abbey.test'] })
    .where('id', '=', world.schools.A.id)
    .execute();
  await db
    .updateTable('agencies')
    .set({ capacity: 2, active_cases: 1 })
    .where('id', '=', world.agencies.A)
    .execute();
  await db.updateTable('agencies').set({ active_cases: 1 }).where('id', '=', world.agencies.B).execute();
  const { id: agencyC } = await db
    .insertInto('agencies')
    .values({
      name: 'City Family Hub',
      kind: 'voluntary',
      localities: [],
      city_wide: true,
      capacity: 5,
      contact_email: 'city@agency.test',
      specialisms: ['parenting'],
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .updateTable('proformas')
    .set({ escalated_at: new Date('2027-03-15T17:05:00Z') })
    .where('id', '=', world.proformas.A)
    .execute();

  const add = async (reference: string, slot: number | null, consent: boolean) => {
    const { id: familyId } = await db
      .insertInto('families')
      .values({ reference: `FAM-${reference}`, locality: 'north' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const { id } = await db
      .insertInto('requests')
      .values({
        reference,
        hub_id: world.hubId,
        kind: 'new',
        family_id: familyId,
        school_id: world.schools.A.id,
        referrer_name: 'A Referrer',
        referrer_organisation: 'Front door',
        received_at: new Date('2027-02-10T09:00:00Z'),
        status: slot === null ? 'open' : 'on-agenda',
        consent_given: consent,
        ...(consent
          ? {
              consent_recorded_at: new Date('2027-02-10T09:00:00Z'),
              consent_recorded_by: 'Front door officer',
            }
          : {}),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const { id: child } = await db
      .insertInto('children')
      .values({ family_id: familyId, school_id: world.schools.A.id, date_of_birth: '2016-09-01' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('request_children').values({ request_id: id, child_id: child }).execute();
    await db
      .insertInto('request_needs')
      .values({ request_id: id, need_code: 'parenting', severity: 2 })
      .execute();
    if (slot === null) {
      await db
        .insertInto('agenda_deferrals')
        .values({ sitting_id: world.sittingId, request_id: id, reason: 'consent-missing' })
        .execute();
    } else {
      const { id: item } = await db
        .insertInto('agenda_items')
        .values({ sitting_id: world.sittingId, sitting_slot_count: 6, slot, family_id: familyId })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('agenda_item_requests')
        .values({ agenda_item_id: item, sitting_id: world.sittingId, request_id: id })
        .execute();
    }
    return id;
  };
  const queued = {
    R1: await add('EH-2027-0101', 0, true),
    R2: await add('EH-2027-0102', 1, true),
    R3: await add('EH-2027-0103', null, false),
  };
  return { ...world, agencyC, queued };
}
