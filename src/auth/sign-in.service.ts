import type { Kysely } from 'kysely';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import { enqueueEmail } from '../email/outbox.service.ts';
import {
  consumeSignInToken,
  countSignInTokensSince,
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
 * Sends a sign-in link to `email` when it belongs to an active person, through the outbox in the
 * same transaction as the token. Returns nothing either way, so the caller answers the same whether
 * or not the address has an account. Only the token's SHA-256 is stored in `sign_in_tokens`.
 */
export async function requestSignInLink(
  db: Db,
  input: { email: string; redirectTo: string | null; now: Date; mail: SignInMail },
): Promise<void> {
  const { now } = input;
  const user = await findSignInUser(db, input.email.trim().toLowerCase());
  if (user === null) return;
  const windowStart = new Date(now.getTime() - signInPolicy.validMinutes * 60_000);
  if ((await countSignInTokensSince(db, user.id, windowStart)) >= signInPolicy.maxLinksPerWindow) return;
  const token = randomSecret();
  const tokenHash = sha256Hex(token);
  const expiresAt = new Date(now.getTime() + signInPolicy.validMinutes * 60_000);
  await db.transaction().execute(async (trx) => {
    await insertSignInToken(trx, {
      tokenHash,
      userId: user.id,
      redirectTo: safeRedirect(input.redirectTo),
      createdAt: now,
      expiresAt,
    });
    await enqueueEmail(trx, {
      idempotencyKey: `sign-in-link:${user.id}:${tokenHash.slice(0, 32)}`,
      template: 'sign-in-link',
      to: user.email,
      params: {
        signInUrl: `${input.mail.publicBaseUrl}/sign-in/${token}`,
        expiresAt,
        validMinutes: signInPolicy.validMinutes,
        timezone: input.mail.timezone,
      },
      scheduledFor: now,
      giveUpAt: expiresAt,
      mailFrom: input.mail.mailFrom,
    });
    await writeAudit(trx, webActor, { action: 'user.sign-in-link-sent', entity: 'user', entityId: user.id });
  });
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
