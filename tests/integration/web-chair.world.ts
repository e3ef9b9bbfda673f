import type { Kysely } from 'kysely';
import type { Database } from '../../schema/database.ts';
import { planAndStoreSittings } from '../../src/calendar/sitting.service.ts';
import { createWorld, type World, worldNow } from '../helpers/web-world.ts';

/*
 * The web world (tests/helpers/web-world.ts) plus what the chair's pages need: the hub sits
 * fortnightly on Wednesdays at 09:30 with a 15-minute break after the third slot, moves a sitting off
 * its closure (a training day on 14 April 2027) to the next working day, and has its sittings planned
 * by the real planner; one sitting is cancelled; a second hub (weekly on Mondays, `skip`) loses Easter
 * Monday. Three families with consent wait for the sitting of Wednesday 31 March 2027 (BST): one
 * high-urgency request carried over twice, one complex (two slots), one with an attendance window.
 */

export interface ChairWorld extends World {
  /** The sitting of 2027-03-31 (09:30 BST), its agenda not built yet. */
  sitting31: number;
  /** The sitting moved from 2027-04-14 to 2027-04-15. */
  movedSitting: number;
  cancelledSitting: number;
  eastHubId: number;
  chairRequests: { C: number; D: number; E: number };
}

async function addRequest(
  db: Kysely<Database>,
  world: World,
  reference: string,
  family: string,
  options: {
    school: 'A' | 'B';
    urgency: 'high' | 'normal' | 'low';
    complex?: boolean;
    carried?: number;
    window?: [string, string];
  },
): Promise<number> {
  const { id: familyId } = await db
    .insertInto('families')
    .values({ reference: family, locality: options.school === 'A' ? 'north' : 'south' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const schoolId = world.schools[options.school].id;
  const { id } = await db
    .insertInto('requests')
    .values({
      reference,
      hub_id: world.hubId,
      kind: 'new',
      family_id: familyId,
      school_id: schoolId,
      referrer_name: 'A Referrer',
      referrer_organisation: 'Front door',
      received_at: new Date('2027-02-20T09:00:00Z'),
      urgency: options.urgency,
      complex: options.complex ?? false,
      consent_given: true,
      consent_recorded_at: new Date('2027-02-20T09:00:00Z'),
      consent_recorded_by: 'Front door officer',
      times_carried_over: options.carried ?? 0,
      attendance_from: options.window?.[0] ?? null,
      attendance_to: options.window?.[1] ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { id: child } = await db
    .insertInto('children')
    .values({ family_id: familyId, school_id: schoolId, date_of_birth: '2017-01-09' })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.insertInto('request_children').values({ request_id: id, child_id: child }).execute();
  return id;
}

export async function createChairWorld(db: Kysely<Database>): Promise<ChairWorld> {
  const world = await createWorld(db);
  await db
    .updateTable('hubs')
    .set({ holiday_policy: 'next-working-day', break_after_slot: 3, break_minutes: 15 })
    .where('id', '=', world.hubId)
    .execute();
  await db
    .insertInto('closures')
    .values({
      hub_id: world.hubId,
      starts_on: '2027-04-14',
      ends_on: '2027-04-14',
      reason: 'Hub training day',
    })
    .execute();
  await planAndStoreSittings(db, world.hubId, { now: worldNow });
  const dated = async (date: string) =>
    (
      await db
        .selectFrom('sittings')
        .select('id')
        .where('hub_id', '=', world.hubId)
        .where('date', '=', date)
        .executeTakeFirstOrThrow()
    ).id;
  const cancelledSitting = await dated('2027-05-12');
  await db
    .updateTable('sittings')
    .set({ status: 'cancelled', status_reason: 'Cancelled by the chair: no room available' })
    .where('id', '=', cancelledSitting)
    .execute();
  const { id: eastHubId } = await db
    .insertInto('hubs')
    .values({
      name: 'East hub',
      rrule: 'FREQ=WEEKLY;BYDAY=MO',
      first_sitting: '2027-03-01',
      start_time: '14:00',
      slots_per_sitting: 4,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const chairRequests = {
    C: await addRequest(db, world, 'EH-2027-0101', 'FAM-C', { school: 'A', urgency: 'high', carried: 2 }),
    D: await addRequest(db, world, 'EH-2027-0102', 'FAM-D', {
      school: 'B',
      urgency: 'normal',
      complex: true,
    }),
    E: await addRequest(db, world, 'EH-2027-0103', 'FAM-E', {
      school: 'A',
      urgency: 'low',
      window: ['11:00', '12:45'],
    }),
  };
  return {
    ...world,
    sitting31: await dated('2027-03-31'),
    movedSitting: await dated('2027-04-15'),
    cancelledSitting,
    eastHubId,
    chairRequests,
  };
}

/** The sitting's items as stored: family reference -> slot, slots used, pinned, id. */
export async function storedItems(db: Kysely<Database>, sittingId: number) {
  const rows = await db
    .selectFrom('agenda_items as i')
    .innerJoin('families as f', 'f.id', 'i.family_id')
    .select(['i.id', 'f.reference', 'i.slot', 'i.slots_used', 'i.pinned', 'i.moved_by_chair'])
    .where('i.sitting_id', '=', sittingId)
    .orderBy('i.slot')
    .execute();
  return Object.fromEntries(
    rows.map((r) => [
      r.reference,
      { id: r.id, slot: r.slot, slotsUsed: r.slots_used, pinned: r.pinned, moved: r.moved_by_chair },
    ]),
  );
}
