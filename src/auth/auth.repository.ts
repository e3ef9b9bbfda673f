import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';
import type { Actor, Role } from '../actor.ts';

/*
 * The only Kysely code of sign-in, sessions and API tokens. Secrets arrive here already hashed.
 */

type Conn = Kysely<Database> | Transaction<Database>;
export type UserActor = Extract<Actor, { kind: 'user' }>;

const roles: readonly Role[] = ['admin', 'chair', 'coordinator', 'school', 'agency'];

/**
 * The database's visible state as text (`xmin:xmax:running xids`). Two equal snapshots see exactly
 * the same committed data, so the page cache keys remembered responses by it (src/web/page-cache.ts).
 * Read in the same statement as the session or token, so it costs no extra round trip.
 */
const snapshotText = sql<string>`pg_current_snapshot()::text`.as('snapshot');

function toActor(row: { id: number; role: string; school_id: number | null; agency_id: number | null }) {
  if (!(roles as readonly string[]).includes(row.role)) throw new Error(`Unknown role ${row.role}`);
  return {
    kind: 'user',
    userId: row.id,
    role: row.role as Role,
    schoolId: row.school_id,
    agencyId: row.agency_id,
  } satisfies UserActor;
}

/** An active person (not an API token's service account) with this email, or null. */
export async function findSignInUser(db: Conn, email: string): Promise<{ id: number; email: string } | null> {
  const row = await db
    .selectFrom('users as u')
    .select(['u.id', 'u.email'])
    .where('u.email', '=', email.toLowerCase())
    .where('u.active', '=', true)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('api_tokens as t').select('t.id').whereRef('t.user_id', '=', 'u.id'))),
    )
    .executeTakeFirst();
  return row ?? null;
}

/** The actor of a user by id (active or not); throws when there is no such user. */
export async function findUserActor(db: Conn, userId: number): Promise<UserActor> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'role', 'school_id', 'agency_id'])
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  return toActor(row);
}

/** How many sign-in links this user was sent since `since` (a quiet limit against mail bombing). */

/** Sign-in emails queued for a person since `since` (the links themselves are minted when sent). */
export async function countSignInEmailsSince(db: Conn, userId: number, since: Date): Promise<number> {
  const { n } = await db
    .selectFrom('email_outbox')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('template', '=', 'sign-in-link')
    .where(sql<boolean>`(params->'signInFor'->>'userId')::int = ${userId}`)
    .where('created_at', '>=', since)
    .executeTakeFirstOrThrow();
  return n;
}

export async function insertSignInToken(
  db: Conn,
  row: { tokenHash: string; userId: number; redirectTo: string | null; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('sign_in_tokens')
    .values({
      token_hash: row.tokenHash,
      user_id: row.userId,
      redirect_to: row.redirectTo,
      created_at: row.createdAt,
      expires_at: row.expiresAt,
    })
    .execute();
}

/** Whether a sign-in token can still be used at `now` (unused, unexpired, its user active). Reads only. */
export async function signInTokenUsable(db: Conn, tokenHash: string, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('sign_in_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select('t.user_id')
    .where('t.token_hash', '=', tokenHash)
    .where('t.used_at', 'is', null)
    .where('t.expires_at', '>', now)
    .where('u.active', '=', true)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Marks a usable token used, atomically (a second concurrent redeem finds it used).
 * Returns its user and redirect, or null when it was unknown, used, expired or its user inactive.
 */
export async function consumeSignInToken(
  db: Conn,
  tokenHash: string,
  now: Date,
): Promise<{ userId: number; redirectTo: string | null } | null> {
  const row = await db
    .updateTable('sign_in_tokens as t')
    .set({ used_at: now })
    .from('users as u')
    .whereRef('u.id', '=', 't.user_id')
    .where('u.active', '=', true)
    .where('t.token_hash', '=', tokenHash)
    .where('t.used_at', 'is', null)
    .where('t.expires_at', '>', now)
    .returning(['t.user_id', 't.redirect_to'])
    .executeTakeFirst();
  return row ? { userId: row.user_id, redirectTo: row.redirect_to } : null;
}

export async function insertSession(
  db: Conn,
  row: { idHash: string; userId: number; csrfSecret: string; now: Date; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id_hash: row.idHash,
      user_id: row.userId,
      csrf_secret: row.csrfSecret,
      created_at: row.now,
      last_seen_at: row.now,
      expires_at: row.expiresAt,
    })
    .execute();
}

export interface SessionRow {
  actor: UserActor;
  displayName: string;
  csrfSecret: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  /** The database snapshot this row was read in (see `snapshotText`). */
  snapshot: string;
}

/** The session with this id hash and its (active) user, or null. Does not check timeouts. */
export async function findSession(db: Conn, idHash: string): Promise<SessionRow | null> {
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select([
      'u.id',
      'u.role',
      'u.school_id',
      'u.agency_id',
      'u.display_name',
      's.csrf_secret',
      's.created_at',
      's.last_seen_at',
      's.expires_at',
      snapshotText,
    ])
    .where('s.id_hash', '=', idHash)
    .where('u.active', '=', true)
    .executeTakeFirst();
  if (!row) return null;
  return {
    actor: toActor(row),
    displayName: row.display_name,
    csrfSecret: row.csrf_secret,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    snapshot: row.snapshot,
  };
}

export async function touchSession(db: Conn, idHash: string, now: Date): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
}

/** Deletes a session; returns its user id when there was one. */
export async function deleteSession(db: Conn, idHash: string): Promise<number | null> {
  const row = await db
    .deleteFrom('sessions')
    .where('id_hash', '=', idHash)
    .returning('user_id')
    .executeTakeFirst();
  return row?.user_id ?? null;
}

/** Deletes sessions past their absolute or idle timeout; returns how many. */
export async function deleteStaleSessions(db: Conn, now: Date, idleSince: Date): Promise<number> {
  const rows = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', idleSince)]))
    .returning('id_hash')
    .execute();
  return rows.length;
}

/** Creates the service-account user behind an API token. */
export async function insertServiceUser(
  db: Conn,
  row: { email: string; displayName: string; role: Role; schoolId: number | null; agencyId: number | null },
): Promise<number> {
  const { id } = await db
    .insertInto('users')
    .values({
      email: row.email,
      display_name: row.displayName,
      role: row.role,
      school_id: row.schoolId,
      agency_id: row.agencyId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function insertApiToken(
  db: Conn,
  row: { name: string; userId: number; tokenHash: string; createdBy: string; createdAt: Date },
): Promise<number> {
  const { id } = await db
    .insertInto('api_tokens')
    .values({
      name: row.name,
      user_id: row.userId,
      token_hash: row.tokenHash,
      created_by: row.createdBy,
      created_at: row.createdAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export interface ApiTokenRow {
  id: number;
  name: string;
  userId: number;
  role: Role;
  schoolId: number | null;
  schoolUrn: number | null;
  agencyId: number | null;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

function tokenQuery(db: Conn) {
  return db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .leftJoin('schools as s', 's.id', 'u.school_id')
    .select([
      't.id',
      't.name',
      't.user_id',
      'u.role',
      'u.school_id',
      's.urn',
      'u.agency_id',
      't.created_by',
      't.created_at',
      't.last_used_at',
      't.revoked_at',
    ]);
}

type TokenQueryRow = Awaited<ReturnType<ReturnType<typeof tokenQuery>['executeTakeFirstOrThrow']>>;

function toTokenRow(r: TokenQueryRow): ApiTokenRow {
  return {
    id: r.id,
    name: r.name,
    userId: r.user_id,
    role: toActor({ id: r.user_id, role: r.role, school_id: r.school_id, agency_id: r.agency_id }).role,
    schoolId: r.school_id,
    schoolUrn: r.urn,
    agencyId: r.agency_id,
    createdBy: r.created_by,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

export async function listApiTokens(db: Conn): Promise<ApiTokenRow[]> {
  return (await tokenQuery(db).orderBy('t.name').execute()).map(toTokenRow);
}

export async function findApiTokenByName(db: Conn, name: string): Promise<ApiTokenRow | null> {
  const row = await tokenQuery(db).where('t.name', '=', name).executeTakeFirst();
  return row ? toTokenRow(row) : null;
}

/** The actor of an unrevoked token with this hash, or null. */
export interface ActiveApiToken {
  id: number;
  lastUsedAt: Date | null;
  actor: UserActor;
  /** The database snapshot this row was read in (see `snapshotText`). */
  snapshot: string;
}

export async function findActiveApiToken(db: Conn, tokenHash: string): Promise<ActiveApiToken | null> {
  const row = await tokenQuery(db)
    .select(snapshotText)
    .where('t.token_hash', '=', tokenHash)
    .where('t.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    lastUsedAt: row.last_used_at,
    actor: toActor({ id: row.user_id, role: row.role, school_id: row.school_id, agency_id: row.agency_id }),
    snapshot: row.snapshot,
  };
}

export async function touchApiToken(db: Conn, id: number, now: Date): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
}

/** Revokes a token; returns its id, or null when there was no unrevoked token of that name. */
export async function revokeApiToken(db: Conn, name: string, now: Date): Promise<number | null> {
  const row = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('name', '=', name)
    .where('revoked_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row?.id ?? null;
}

export async function findSchoolIdByUrn(db: Conn, urn: number): Promise<number | null> {
  const row = await db.selectFrom('schools').select('id').where('urn', '=', urn).executeTakeFirst();
  return row?.id ?? null;
}

export async function agencyExists(db: Conn, id: number): Promise<boolean> {
  const row = await db.selectFrom('agencies').select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}
