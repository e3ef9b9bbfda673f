import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../schema/database.ts';
import { cliActor } from '../../src/actor.ts';
import { createApiToken } from '../../src/auth/api-token.service.ts';
import { randomSecret, sha256Hex } from '../../src/auth/secret.ts';
import { startSession } from '../../src/auth/session.service.ts';
import { loadConfig } from '../../src/config.ts';

/*
 * A small hub for the web tests: two schools (A, B), two agencies (A, B), a user of every role, one
 * request per school (each allocated to its agency), a second unallocated request at school A, a
 * sitting with school A's request on its agenda, and a proforma per request. Everything a test
 * needs to act as each principal: session cookies (pages) and bearer tokens (API).
 */

export const principals = [
  'anonymous',
  'admin',
  'chair',
  'coordinator',
  'schoolA',
  'schoolB',
  'agencyA',
  'agencyB',
] as const;
export type PrincipalName = (typeof principals)[number];
export type Signed = Exclude<PrincipalName, 'anonymous'>;

export const testConfig = loadConfig({
  LOG_LEVEL: 'silent',
  PUBLIC_BASE_URL: 'http://hub.test',
  SESSION_SECRET: 'test-session-secret-of-at-least-32-characters',
  HUB_DATA_DIR: '.hub-test',
});

/** The world's "now": a Monday in March 2027 (GMT), two days before the sitting. */
export const worldNow = new Date('2027-03-15T10:00:00Z');

export interface World {
  db: Kysely<Database>;
  hubId: number;
  sittingId: number;
  schools: { A: { id: number; urn: number }; B: { id: number; urn: number } };
  agencies: { A: number; B: number };
  users: Record<Signed, number>;
  requests: { A: number; A2: number; B: number };
  proformas: { A: number; B: number };
  /** A session per signed-in principal: the Cookie header and the form token. */
  sessions: Record<Signed, { cookie: string; csrf: string }>;
  /** An API token per signed-in principal. */
  bearers: Record<Signed, string>;
}

async function id<T extends { id: number }>(p: Promise<T>): Promise<number> {
  return (await p).id;
}

export async function createWorld(db: Kysely<Database>, now = worldNow): Promise<World> {
  await db
    .insertInto('localities')
    .values([
      { code: 'north', name: 'North' },
      { code: 'south', name: 'South' },
    ])
    .execute();
  await db
    .insertInto('needs')
    .values([
      { code: 'parenting', label: 'Parenting support' },
      { code: 'attendance', label: 'School attendance' },
    ])
    .execute();
  const hubId = await id(
    db
      .insertInto('hubs')
      .values({
        name: 'Test hub',
        rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=WE',
        first_sitting: '2027-03-03',
        start_time: '09:30',
        slots_per_sitting: 6,
      })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  const sittingId = await id(
    db
      .insertInto('sittings')
      .values({
        hub_id: hubId,
        date: '2027-03-17',
        starts_at: new Date('2027-03-17T09:30:00Z'),
        ends_at: new Date('2027-03-17T12:30:00Z'),
        slot_count: 6,
        slot_minutes: 30,
      })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  const school = (urn: number, name: string, locality: string) =>
    id(db.insertInto('schools').values({ urn, name, locality }).returning('id').executeTakeFirstOrThrow());
  const schools = {
    A: { id: await school(100001, 'Abbey Primary School', 'north'), urn: 100001 },
    B: { id: await school(100002, 'Beaumont Academy', 'south'), urn: 100002 },
  };
  const agency = (name: string, kind: string, localities: string[]) =>
    id(
      db
        .insertInto('agencies')
        .values({
          name,
          kind,
          localities,
          capacity: 10,
          contact_email: `${kind}@agency.test`,
          specialisms: ['parenting'],
        })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
  const agencies = {
    A: await agency('Family Support North', 'family-support', ['north']),
    B: await agency('Youth South', 'youth', ['south']),
  };
  const user = (
    email: string,
    role: string,
    schoolId: number | null = null,
    agencyId: number | null = null,
  ) =>
    id(
      db
        .insertInto('users')
        .values({
          email,
          display_name: `${role} ${email.split('@')[0]}`,
          role,
          school_id: schoolId,
          agency_id: agencyId,
        })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
  const users: Record<Signed, number> = {
    admin: await user('admin@council.test', 'admin'),
    chair: await user('chair@council.test', 'chair'),
    coordinator: await user('coordinator@council.test', 'coordinator'),
    schoolA: await user('dsl@abbey.test', 'school', schools.A.id),
    schoolB: await user('dsl@beaumont.test', 'school', schools.B.id),
    agencyA: await user('team@fsn.test', 'agency', null, agencies.A),
    agencyB: await user('team@youth.test', 'agency', null, agencies.B),
  };
  const family = (reference: string, locality: string) =>
    id(db.insertInto('families').values({ reference, locality }).returning('id').executeTakeFirstOrThrow());
  const families = { A: await family('FAM-A', 'north'), B: await family('FAM-B', 'south') };
  const request = async (reference: string, familyId: number, schoolId: number, receivedAt: string) => {
    const requestId = await id(
      db
        .insertInto('requests')
        .values({
          reference,
          hub_id: hubId,
          kind: 'new',
          family_id: familyId,
          school_id: schoolId,
          referrer_name: 'A Referrer',
          referrer_organisation: 'Front door',
          received_at: new Date(receivedAt),
        })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    const child = await id(
      db
        .insertInto('children')
        .values({ family_id: familyId, school_id: schoolId, date_of_birth: '2016-05-03' })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
    await db.insertInto('request_children').values({ request_id: requestId, child_id: child }).execute();
    await db
      .insertInto('request_needs')
      .values({ request_id: requestId, need_code: 'parenting', severity: 2 })
      .execute();
    return requestId;
  };
  const requests = {
    A: await request('EH-2027-0001', families.A, schools.A.id, '2027-02-01T09:00:00Z'),
    B: await request('EH-2027-0002', families.B, schools.B.id, '2027-02-02T09:00:00Z'),
    A2: await request('EH-2027-0003', families.A, schools.A.id, '2027-02-03T09:00:00Z'),
  };
  for (const [requestId, agencyId] of [
    [requests.A, agencies.A],
    [requests.B, agencies.B],
  ] as const)
    await db
      .insertInto('allocations')
      .values({
        request_id: requestId,
        agency_id: agencyId,
        decided_by_user_id: users.coordinator,
        decision: 'accepted',
        review_due_on: '2027-06-01',
        ends_by: '2028-03-01',
      })
      .execute();
  const item = await id(
    db
      .insertInto('agenda_items')
      .values({ sitting_id: sittingId, sitting_slot_count: 6, slot: 2, family_id: families.A })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  await db
    .insertInto('agenda_item_requests')
    .values({ agenda_item_id: item, sitting_id: sittingId, request_id: requests.A })
    .execute();
  const proforma = (requestId: number) =>
    id(
      db
        .insertInto('proformas')
        .values({
          request_id: requestId,
          sitting_id: sittingId,
          deadline_at: new Date('2027-03-15T17:00:00Z'),
        })
        .returning('id')
        .executeTakeFirstOrThrow(),
    );
  const proformas = { A: await proforma(requests.A), B: await proforma(requests.B) };

  const sessions = {} as World['sessions'];
  const bearers = {} as World['bearers'];
  for (const name of principals) {
    if (name === 'anonymous') continue;
    const s = await startSession(db, users[name], now);
    sessions[name] = { cookie: `hub_session=${s.sessionId}`, csrf: s.csrfToken };
    const role = name.replace(/[AB]$/, '');
    const created = await createApiToken(
      db,
      {
        name: `test-${name.toLowerCase()}`,
        role,
        ...(role === 'school' ? { schoolUrn: schools[name.endsWith('A') ? 'A' : 'B'].urn } : {}),
        ...(role === 'agency' ? { agencyId: agencies[name.endsWith('A') ? 'A' : 'B'] } : {}),
      },
      { actor: cliActor, now },
    );
    bearers[name] = created.token;
  }
  return { db, hubId, sittingId, schools, agencies, users, requests, proformas, sessions, bearers };
}

/** Mints a proforma link (as the outbox does when it sends the email) and returns its token. */
export async function mintProformaLink(
  db: Kysely<Database>,
  proformaId: number,
  expiresAt: Date,
): Promise<string> {
  const token = randomSecret();
  await db
    .insertInto('proforma_links')
    .values({ proforma_id: proformaId, token_hash: sha256Hex(token), expires_at: expiresAt })
    .execute();
  return token;
}

/** The Cookie header value from a response's Set-Cookie headers (name=value pairs). */
export function cookiesFrom(response: LightMyRequestResponse): string {
  return response.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}

/** Loads a page and returns its form token and the cookies to send back with the POST. */
export async function formToken(
  app: FastifyInstance,
  url: string,
  cookie = '',
): Promise<{ csrf: string; cookie: string; response: LightMyRequestResponse }> {
  const response = await app.inject({ url, headers: cookie ? { cookie } : {} });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1] ?? '';
  const fresh = cookiesFrom(response);
  return { csrf, cookie: [cookie, fresh].filter(Boolean).join('; '), response };
}
