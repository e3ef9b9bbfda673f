import type { Kysely } from 'kysely';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import { enqueueEmail } from '../email/outbox.service.ts';
import {
  consumeSignInToken,
  countSignInEmailsSince,
  findSignInUser,
  findUserActor,
  insertSignInToken,
  signInTokenUsable,
  type UserActor,
} from './auth.repository.ts';
import { looksLikeSecret, randomSecret, sha256Hex } from './secret.ts';
import { startSession } from './session.service.ts';

type Db = Kysely<Database>;

/** A link works once, for 15 minutes; at most 5 links per person per 15 minutes are sent. */
export const signInPolicy = { validMinutes: 15, maxLinksPerWindow: 5 } as const;

/** Who acts before anyone is signed in (the audit log names it). */
const webActor: Actor = { kind: 'system', name: 'web' };

export interface SignInMail {
  /** Base of the link, e.g. https://earlyhelp.example.gov.uk (no trailing slash). */
  publicBaseUrl: string;
  mailFrom: string;
  /** Zone the email shows the expiry time in. */
  timezone: string;
}

/**
 * A same-site path to return to after sign-in, or null: only `/x...` (never `//host` or `/\host`),
 * so the link cannot send anyone to another site.
 */
export function safeRedirect(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 500) return null;
  return /^\/(?![/\\])[\x21-\x7e]*$/.test(value) ? value : null;
}

/**
 * Queues a sign-in email to `email` when it belongs to an active person. Returns nothing either way,
 * so the caller answers the same whether or not the address has an account. The link itself is
 * minted when the email is sent (`mintSignInLink`), so its raw token is never stored anywhere and
 * its 15 minutes run from the moment it goes out; only the token's SHA-256 is kept.
 */
export async function requestSignInLink(
  db: Db,
  input: { email: string; redirectTo: string | null; now: Date; mail: SignInMail },
): Promise<void> {
  const { now } = input;
  const user = await findSignInUser(db, input.email.trim().toLowerCase());
  if (user === null) return;
  const windowStart = new Date(now.getTime() - signInPolicy.validMinutes * 60_000);
  if ((await countSignInEmailsSince(db, user.id, windowStart)) >= signInPolicy.maxLinksPerWindow) return;
  await db.transaction().execute(async (trx) => {
    await enqueueEmail(trx, {
      // A fresh key per request: each asks for its own email (the rate limit above bounds them).
      idempotencyKey: `sign-in-link:${user.id}:${randomSecret().slice(0, 16)}`,
      template: 'sign-in-link',
      to: user.email,
      params: {
        signInFor: { userId: user.id, redirectTo: safeRedirect(input.redirectTo) },
        validMinutes: signInPolicy.validMinutes,
        timezone: input.mail.timezone,
      },
      scheduledFor: now,
      // A sign-in email that cannot go out within the link's lifetime is of no use later.
      giveUpAt: new Date(now.getTime() + signInPolicy.validMinutes * 60_000),
      mailFrom: input.mail.mailFrom,
    });
    await writeAudit(trx, webActor, { action: 'user.sign-in-link-sent', entity: 'user', entityId: user.id });
  });
}

/**
 * Mints the token of a sign-in email as it is sent: random, single use, valid 15 minutes from now;
 * only its SHA-256 is stored. The dispatcher puts the returned token in the link.
 */
export async function mintSignInLink(
  db: Db,
  who: { userId: number; redirectTo: string | null },
  now: Date,
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomSecret();
  const expiresAt = new Date(now.getTime() + signInPolicy.validMinutes * 60_000);
  await insertSignInToken(db, {
    tokenHash: sha256Hex(token),
    userId: who.userId,
    redirectTo: safeRedirect(who.redirectTo),
    createdAt: now,
    expiresAt,
  });
  return { token, expiresAt };
}

/** Whether a sign-in link would still work at `now`. Changes nothing (mail scanners open links). */
export async function signInLinkUsable(db: Db, token: string, now: Date): Promise<boolean> {
  return looksLikeSecret(token) && signInTokenUsable(db, sha256Hex(token), now);
}

export type SignInResult =
  | {
      kind: 'signed-in';
      actor: UserActor;
      sessionId: string;
      csrfToken: string;
      expiresAt: Date;
      redirectTo: string | null;
    }
  | { kind: 'link-unusable' };

/**
 * Uses a sign-in link: marks the token used (once, atomically), starts a new session with a new id,
 * and writes `user.signed-in` to the audit log, all in one transaction.
 */
export async function redeemSignInLink(db: Db, token: string, now: Date): Promise<SignInResult> {
  if (!looksLikeSecret(token)) return { kind: 'link-unusable' };
  return db.transaction().execute(async (trx) => {
    const used = await consumeSignInToken(trx, sha256Hex(token), now);
    if (used === null) return { kind: 'link-unusable' } as const;
    const session = await startSession(trx, used.userId, now);
    const actor = await findUserActor(trx, used.userId);
    await writeAudit(trx, actor, { action: 'user.signed-in', entity: 'user', entityId: used.userId });
    return { kind: 'signed-in', actor, ...session, redirectTo: used.redirectTo } as const;
  });
}
