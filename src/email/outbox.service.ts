import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../schema/database.ts';
import { AppError } from '../errors.ts';
import { parseOrThrow } from '../validation.ts';
import { type Claim, messageIdFor, recordFor } from './outbox.policy.ts';
import {
  claimRows,
  closeRows,
  findOutboxByKey,
  insertOutboxRow,
  lockDueRows,
  type OutboxRow,
  proformaLinkExpiry,
  recordSend,
  submittedProformaIds,
} from './outbox.repository.ts';
import {
  type EmailParamsInput,
  type EmailTemplateName,
  parseEmailParams,
  proformaChasingTemplates,
  renderEmail,
} from './templates.ts';
import type { EmailTransport, SendOutcome } from './transport.ts';

type Db = Kysely<Database>;

export { mailDomain, messageIdFor, nextAttemptAt, retryPolicy } from './outbox.policy.ts';

/** One email to queue. Exactly one recipient; params per template (references, names of organisations, instants, URLs). */
export interface EnqueueEmailInput<N extends EmailTemplateName = EmailTemplateName> {
  /** Unique per email, e.g. `proforma-reminder:<request>:<sitting>:<n>`; queuing it again does nothing. */
  idempotencyKey: string;
  template: N;
  to: string;
  params: EmailParamsInput<N>;
  /** Not sent before this instant. */
  scheduledFor: Date;
  /** Not sent (nor retried) after this instant, e.g. the sitting's start. */
  giveUpAt?: Date | null;
  requestId?: number | null;
  /** When set, a proforma request/reminder is cancelled at claim time once this proforma is submitted. */
  proformaId?: number | null;
  /** The sender (config.mailFrom): its domain is the right-hand side of the Message-ID. */
  mailFrom: string;
}

export type EnqueueResult =
  | { kind: 'queued'; id: number; messageId: string }
  | { kind: 'already-queued'; id: number; messageId: string };

const enqueueSchema = z
  .strictObject({
    idempotencyKey: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9:._@/-]{0,199}$/, 'must be 1-200 letters, digits and : . _ @ / -'),
    template: z.string(),
    // One bare address: no display name, no list ("a@x, b@y"), no angle brackets.
    to: z
      .string()
      .trim()
      .toLowerCase()
      .refine((v) => !/[,;<>\s]/.test(v), 'must be exactly one address (one email per recipient)')
      .pipe(z.email('must be an email address')),
    params: z.unknown(),
    scheduledFor: z.date(),
    giveUpAt: z.date().nullable().default(null),
    requestId: z.number().int().positive().nullable().default(null),
    proformaId: z.number().int().positive().nullable().default(null),
    mailFrom: z.string().min(3),
  })
  .refine((v) => v.giveUpAt === null || v.giveUpAt > v.scheduledFor, {
    message: 'must be after scheduledFor',
    path: ['giveUpAt'],
  });

/**
 * Queues one email. Call it inside the transaction of the change that causes it, so both land or
 * neither does. The same idempotency key never queues twice: the existing row is returned (and a
 * different template or recipient under the same key is a conflict, i.e. a caller bug).
 * Throws AppError('invalid-input') naming each bad field, params included.
 */
export async function enqueueEmail<N extends EmailTemplateName>(
  trx: Db,
  input: EnqueueEmailInput<N>,
): Promise<EnqueueResult> {
  const v = parseOrThrow(enqueueSchema, input, 'email');
  const params = parseEmailParams(v.template, v.params);
  const messageId = messageIdFor(v.idempotencyKey, v.mailFrom);
  const id = await insertOutboxRow(trx, {
    idempotency_key: v.idempotencyKey,
    template: v.template,
    to_address: v.to,
    params,
    request_id: v.requestId,
    proforma_id: v.proformaId,
    scheduled_for: v.scheduledFor,
    give_up_at: v.giveUpAt,
    message_id: messageId,
  });
  if (id !== undefined) return { kind: 'queued', id, messageId };
  const existing = await findOutboxByKey(trx, v.idempotencyKey);
  if (existing === undefined)
    throw new AppError('internal', `Email "${v.idempotencyKey}" was neither queued nor found`);
  if (existing.template !== v.template || existing.to_address !== v.to) {
    throw new AppError(
      'conflict',
      `Email key "${v.idempotencyKey}" is already used for another email (${existing.template}); use a key that names the template, the recipient and the occasion`,
    );
  }
  return { kind: 'already-queued', id: existing.id, messageId: existing.message_id };
}

export interface DispatchOptions {
  /** The pass's clock: what is due, leases, backoff and sent_at are all computed from it. */
  now: Date;
  /** The most rows one pass handles (sent, retried, failed or cancelled; default 50). */
  batchSize?: number;
  /** How long a claim lasts before another dispatcher may take the row over (default 300 s). */
  leaseSeconds?: number;
  /** Messages in flight at once (default 4; the SMTP pool and its rate limit pace them). */
  concurrency?: number;
  /**
   * Mints the proforma link of a proforma request or reminder queued without `proformaUrl`, when
   * the email is sent (so no raw token is ever stored): `mint` stores the token's hash for the
   * proforma, valid until `expiresAt` (the end of the sitting), and returns the raw token; the
   * link is `<publicBaseUrl>/proforma/<token>`. Without it, such rows wait and retry (last_error
   * says why) until their give-up time.
   */
  proformaLinks?: {
    publicBaseUrl: string;
    mint: (db: Db, proformaId: number, expiresAt: Date) => Promise<string>;
  };
  /**
   * Mints a sign-in link as a `sign-in-link` email is sent (so its raw token is never stored):
   * returns the token and when it expires. Without it such emails wait, then fail.
   */
  signInLinks?: {
    publicBaseUrl: string;
    mint: (
      db: Db,
      who: { userId: number; redirectTo: string | null },
      now: Date,
    ) => Promise<{ token: string; expiresAt: Date }>;
  };
  /** Test seam: runs after the server accepted a message and before the row is marked sent. */
  afterAccepted?: (email: { id: number; messageId: string; resend: boolean }) => void | Promise<void>;
}

/**
 * What one pass did, by row. `uncertain` counts unknown outcomes found in this pass (a connection
 * lost after the data, or a row stuck in `sending` past its lease); such a row is re-sent once, so
 * it may also be counted in `sent` or `failed`.
 */
export interface DispatchCounts {
  sent: number;
  retried: number;
  failed: number;
  uncertain: number;
  cancelled: number;
}

/** The short claim transaction: cancels, gives up on, or claims each due row. */
async function claimDue(db: Db, options: { now: Date; limit: number; leaseSeconds: number }) {
  const { now } = options;
  const counts = { failed: 0, uncertain: 0, cancelled: 0 };
  let seen = 0;
  const claims = await db.transaction().execute(async (trx) => {
    const due = await lockDueRows(trx, now, options.limit);
    seen = due.length;
    const chasing = due.filter(
      (r) => r.proforma_id !== null && (proformaChasingTemplates as readonly string[]).includes(r.template),
    );
    const submitted = await submittedProformaIds(trx, [
      ...new Set(chasing.map((r) => r.proforma_id as number)),
    ]);
    const cancel: number[] = [];
    const expired: number[] = [];
    const stuckTwice: number[] = [];
    const fresh: OutboxRow[] = [];
    const stuck: OutboxRow[] = [];
    for (const row of due) {
      const isStuck = row.state === 'sending';
      if (isStuck) counts.uncertain += 1;
      if (chasing.includes(row) && submitted.has(row.proforma_id as number)) cancel.push(row.id);
      else if (row.give_up_at !== null && row.give_up_at <= now) expired.push(row.id);
      else if (isStuck && row.uncertain_sends >= 1) stuckTwice.push(row.id);
      else (isStuck ? stuck : fresh).push(row);
    }
    await closeRows(trx, cancel, 'cancelled', 'Not sent: the proforma was submitted');
    await closeRows(trx, expired, 'failed', 'Not sent before its give-up time');
    await closeRows(
      trx,
      stuckTwice,
      'failed',
      'Delivery uncertain twice (worker stopped mid-send); check with the recipient before retrying',
    );
    counts.cancelled += cancel.length;
    counts.failed += expired.length + stuckTwice.length;
    const lockedUntil = new Date(now.getTime() + options.leaseSeconds * 1000);
    const wasUncertain = new Set(fresh.filter((r) => r.state === 'uncertain').map((r) => r.id));
    const claimedFresh = await claimRows(
      trx,
      fresh.map((r) => r.id),
      lockedUntil,
      false,
    );
    const claimedStuck = await claimRows(
      trx,
      stuck.map((r) => r.id),
      lockedUntil,
      true,
    );
    const claimed: Claim[] = [
      ...claimedFresh.map((row) => ({ row, resend: wasUncertain.has(row.id) })),
      ...claimedStuck.map((row) => ({ row, resend: true })),
    ];
    return claimed.sort(
      (a, b) => a.row.scheduled_for.getTime() - b.row.scheduled_for.getTime() || a.row.id - b.row.id,
    );
  });
  return { claims, counts, seen };
}

/**
 * One dispatcher pass: claims due rows (FOR UPDATE SKIP LOCKED, in a short transaction that also
 * cancels chasing emails whose proforma is in), renders and sends each with its deterministic
 * Message-ID, and records the outcome: sent; 4xx -> pending with exponential backoff until the
 * give-up time; 5xx -> failed for good; connection lost after the data -> `uncertain`, re-sent
 * once with the same Message-ID. Safe to run in several processes at once.
 */
export async function dispatchDue(
  db: Db,
  transport: EmailTransport,
  options: DispatchOptions,
): Promise<DispatchCounts> {
  const now = options.now;
  const leaseSeconds = options.leaseSeconds ?? 300;
  const counts: DispatchCounts = { sent: 0, retried: 0, failed: 0, uncertain: 0, cancelled: 0 };
  let budget = options.batchSize ?? 50;
  // Each worker claims one row right before sending it, so a crash strands only the message that
  // was actually in flight (a stranded row is re-sent as uncertain), never a whole claimed batch.
  const worker = async () => {
    while (budget > 0) {
      budget -= 1;
      const claimed = await claimDue(db, { now, limit: 1, leaseSeconds });
      counts.failed += claimed.counts.failed;
      counts.uncertain += claimed.counts.uncertain;
      counts.cancelled += claimed.counts.cancelled;
      if (claimed.seen === 0) {
        budget = 0; // nothing (unlocked) is due
        return;
      }
      for (const claim of claimed.claims) await deliver(db, transport, claim, options, counts);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return counts;
}

/** Sends one claimed row and records the outcome (fenced by its attempt number). */
async function deliver(
  db: Db,
  transport: EmailTransport,
  claim: Claim,
  options: DispatchOptions,
  counts: DispatchCounts,
): Promise<void> {
  const outcome = await sendOne(db, transport, claim, options);
  if (outcome.kind === 'sent') {
    await options.afterAccepted?.({
      id: claim.row.id,
      messageId: claim.row.message_id,
      resend: claim.resend,
    });
  }
  const record = recordFor(claim, outcome, options.now);
  const landed = await recordSend(db, claim.row.id, claim.row.attempts, record);
  if (!landed) return; // the lease ran out and another dispatcher owns the row now
  if (record.state === 'sent') counts.sent += 1;
  else if (record.state === 'pending') counts.retried += 1;
  else if (record.state === 'uncertain') counts.uncertain += 1;
  else {
    counts.failed += 1;
    if (record.uncertain) counts.uncertain += 1;
  }
}

/** The path of a proforma link under the public base URL. */
export const proformaLinkPath = (token: string) => `/proforma/${token}`;

/** The path of a sign-in link under the public base URL. */
export const signInLinkPath = (token: string) => `/sign-in/${token}`;

async function sendOne(
  db: Db,
  transport: EmailTransport,
  claim: Claim,
  options: DispatchOptions,
): Promise<SendOutcome> {
  const { row } = claim;
  let params = row.params as Record<string, unknown>;
  const needsLink =
    (proformaChasingTemplates as readonly string[]).includes(row.template) &&
    row.proforma_id !== null &&
    params.proformaUrl === undefined;
  if (needsLink) {
    const links = options.proformaLinks;
    const expiresAt = await proformaLinkExpiry(db, row.proforma_id as number);
    if (links === undefined || expiresAt === undefined) {
      const why =
        links === undefined ? 'dispatchDue was given no proformaLinks' : 'its proforma no longer exists';
      return { kind: 'transient', error: `Cannot mint the proforma link: ${why}`, responseCode: null };
    }
    const token = await links.mint(db, row.proforma_id as number, expiresAt);
    params = {
      ...params,
      proformaUrl: `${links.publicBaseUrl.replace(/\/+$/, '')}${proformaLinkPath(token)}`,
    };
  }
  if (row.template === 'sign-in-link' && params.signInUrl === undefined) {
    const who = params.signInFor as { userId: number; redirectTo: string | null } | undefined;
    if (options.signInLinks === undefined || who === undefined) {
      const why = who === undefined ? 'the email names no user' : 'dispatchDue was given no signInLinks';
      return { kind: 'transient', error: `Cannot mint the sign-in link: ${why}`, responseCode: null };
    }
    const minted = await options.signInLinks.mint(db, who, options.now);
    params = {
      ...params,
      signInUrl: `${options.signInLinks.publicBaseUrl.replace(/\/+$/, '')}${signInLinkPath(minted.token)}`,
      expiresAt: minted.expiresAt,
    };
  }
  let rendered: ReturnType<typeof renderEmail>;
  try {
    rendered = renderEmail(row.template, params);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { kind: 'permanent', error: `Cannot render "${row.template}": ${reason}`, responseCode: null };
  }
  return transport.send({
    ...rendered,
    outboxId: row.id,
    messageId: row.message_id,
    to: row.to_address,
    date: options.now,
  });
}
