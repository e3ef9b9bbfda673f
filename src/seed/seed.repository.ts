import type { Kysely } from 'kysely';
import type { Database } from '../../schema/database.ts';

type Conn = Kysely<Database>;

export async function insertReferenceData(
  db: Conn,
  localities: { code: string; name: string }[],
  needs: { code: string; label: string; category: string }[],
): Promise<void> {
  await db
    .insertInto('localities')
    .values(localities)
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
  await db
    .insertInto('needs')
    .values(needs)
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
}

export async function findHubByName(db: Conn, name: string): Promise<number | null> {
  const row = await db.selectFrom('hubs').select('id').where('name', '=', name).executeTakeFirst();
  return row?.id ?? null;
}

export async function insertHub(
  db: Conn,
  hub: {
    name: string;
    rrule: string;
    firstSitting: string;
    startTime: string;
    slotsPerSitting: number;
    breakAfterSlot: number | null;
    breakMinutes: number;
  },
): Promise<number> {
  const { id } = await db
    .insertInto('hubs')
    .values({
      name: hub.name,
      rrule: hub.rrule,
      first_sitting: hub.firstSitting,
      start_time: hub.startTime,
      slots_per_sitting: hub.slotsPerSitting,
      break_after_slot: hub.breakAfterSlot,
      break_minutes: hub.breakMinutes,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function insertClosure(
  db: Conn,
  closure: { hubId: number | null; startsOn: string; endsOn: string; reason: string },
): Promise<void> {
  await db
    .insertInto('closures')
    .values({
      hub_id: closure.hubId,
      starts_on: closure.startsOn,
      ends_on: closure.endsOn,
      reason: closure.reason,
    })
    .execute();
}

export async function insertUsers(
  db: Conn,
  users: { email: string; displayName: string; role: string; schoolUrn?: number; agencyName?: string }[],
): Promise<void> {
  const schools = new Map(
    (await db.selectFrom('schools').select(['id', 'urn']).execute()).map((s) => [s.urn, s.id]),
  );
  const agencies = new Map(
    (await db.selectFrom('agencies').select(['id', 'name']).execute()).map((a) => [a.name, a.id]),
  );
  await db
    .insertInto('users')
    .values(
      users.map((u) => ({
        email: u.email.toLowerCase(),
        display_name: u.displayName,
        role: u.role,
        school_id: u.schoolUrn === undefined ? null : (schools.get(u.schoolUrn) ?? null),
        agency_id: u.agencyName === undefined ? null : (agencies.get(u.agencyName) ?? null),
      })),
    )
    .onConflict((oc) => oc.column('email').doNothing())
    .execute();
}
