import type { Kysely } from 'kysely';
import type { Database } from '../../schema/database.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import {
  deleteSession,
  deleteStaleSessions,
  findSession,
  insertSession,
  type SessionRow,
  touchSession,
  type UserActor,
} from './auth.repository.ts';
import type { Memo } from './principal-memo.ts';
import { looksLikeSecret, randomSecret, sha256Hex } from './secret.ts';

type Db = Kysely<Database>;

/** Session lifetimes: ends after 30 minutes without a request, and 12 hours after sign-in whatever happens. */
export const sessionPolicy = {
  idleMinutes: 30,
  absoluteHours: 12,
  /** last_seen_at is written at most once a minute per session, so idle time is exact to a minute. */
  touchAfterSeconds: 60,
} as const;

export interface Session {
  actor: UserActor;
  displayName: string;
  /** The synchronizer token every form of this session carries (compared in constant time). */
  csrfToken: string;
  expiresAt: Date;
  /**
   * The database snapshot the session was read in (the page cache's validator when there is no
   * change feed, src/web/page-cache.ts); null when the session was remembered, not read.
   */
  snapshot: string | null;
}

/**
 * Starts a session for `userId`: a fresh random id (the cookie value; only its hash is stored),
 * a fresh CSRF secret, absolute expiry 12 h from `now`. Run inside the sign-in transaction.
 */
export async function startSession(
  db: Db,
  userId: number,
  now: Date,
): Promise<{ sessionId: string; csrfToken: string; expiresAt: Date }> {
  const sessionId = randomSecret();
  const csrfToken = randomSecret();
  const expiresAt = new Date(now.getTime() + sessionPolicy.absoluteHours * 3600_000);
  await insertSession(db, { idHash: sha256Hex(sessionId), userId, csrfSecret: csrfToken, now, expiresAt });
  return { sessionId, csrfToken, expiresAt };
}

function idleDeadline(lastSeenAt: Date): number {
  return lastSeenAt.getTime() + sessionPolicy.idleMinutes * 60_000;
}

/**
 * The live session for a cookie value at `now`, or null (unknown, idle 30 min, past 12 h, user
 * deactivated). A stale session found here is deleted. Records activity at most once a minute.
 * With `memo` (sessions remembered while nothing announced has changed, principal-memo.ts), a
 * remembered session is used only when it is live and its activity stamp is not due.
 */
export async function resumeSession(
  db: Db,
  sessionId: string,
  now: Date,
  memo?: Memo<SessionRow>,
): Promise<Session | null> {
  if (!looksLikeSecret(sessionId)) return null;
  const idHash = sha256Hex(sessionId);
  const remembered = memo?.get(idHash);
  if (remembered !== undefined && now < remembered.expiresAt && !stampDue(remembered.lastSeenAt, now))
    return toSession(remembered, null);
  const row = await findSession(db, idHash);
  if (row === null) return null;
  if (now >= row.expiresAt || now.getTime() >= idleDeadline(row.lastSeenAt)) {
    await deleteSession(db, idHash);
    return null;
  }
  if (stampDue(row.lastSeenAt, now)) {
    await touchSession(db, idHash, now);
    memo?.set(idHash, { ...row, lastSeenAt: now });
  } else memo?.set(idHash, row);
  return toSession(row, row.snapshot);
}

function stampDue(lastSeenAt: Date, now: Date): boolean {
  return now.getTime() - lastSeenAt.getTime() >= sessionPolicy.touchAfterSeconds * 1000;
}

function toSession(row: SessionRow, snapshot: string | null): Session {
  return {
    actor: row.actor,
    displayName: row.displayName,
    csrfToken: row.csrfSecret,
    expiresAt: row.expiresAt,
    snapshot,
  };
}

/** Ends a session server-side (sign-out), written to the audit log as the user's. Unknown ids do nothing. */
export async function endSession(db: Db, sessionId: string): Promise<void> {
  if (!looksLikeSecret(sessionId)) return;
  const idHash = sha256Hex(sessionId);
  await db.transaction().execute(async (trx) => {
    const row = await findSession(trx, idHash);
    if ((await deleteSession(trx, idHash)) === null || row === null) return;
    await writeAudit(trx, row.actor, {
      action: 'user.signed-out',
      entity: 'user',
      entityId: row.actor.userId,
    });
  });
}

/** Deletes every session past its idle or absolute timeout (housekeeping); returns how many. */
export async function sweepSessions(db: Db, now: Date): Promise<number> {
  return deleteStaleSessions(db, now, new Date(now.getTime() - sessionPolicy.idleMinutes * 60_000));
}
