import { createHash } from 'node:crypto';
import type { OutboxRow, SendRecord } from './outbox.repository.ts';
import type { SendOutcome } from './transport.ts';

/*
 * The outbox's rules, as pure functions: Message-IDs, the retry schedule, and what a send's
 * outcome does to its row. No IO and no clock: `now` comes in.
 */

/** The domain of a From header value such as `Hub <hub@council.gov.uk>` (`localhost` when none). */
export function mailDomain(mailFrom: string): string {
  return /@([A-Za-z0-9.-]+)>?\s*$/.exec(mailFrom.trim())?.[1]?.toLowerCase() ?? 'localhost';
}

/**
 * The Message-ID of an outbox row, computed from its idempotency key (so known before the insert
 * and the same on every re-send): `<outbox-<24 hex of sha256(key)>@<domain of mailFrom>>`.
 */
export function messageIdFor(idempotencyKey: string, mailFrom: string): string {
  const digest = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24);
  return `<outbox-${digest}@${mailDomain(mailFrom)}>`;
}

/** First retry after 1 minute, doubling, at most 1 hour apart; 10 attempts when no give-up time. */
export const retryPolicy = { baseSeconds: 60, maxSeconds: 3600, maxAttemptsWithoutGiveUp: 10 } as const;

/** When attempt `attempts` (1-based, just failed) should be followed by the next one, or null to give up. */
export function nextAttemptAt(attempts: number, now: Date, giveUpAt: Date | null): Date | null {
  const seconds = Math.min(retryPolicy.baseSeconds * 2 ** Math.max(0, attempts - 1), retryPolicy.maxSeconds);
  const next = new Date(now.getTime() + seconds * 1000);
  if (giveUpAt !== null) return next < giveUpAt ? next : null;
  return attempts < retryPolicy.maxAttemptsWithoutGiveUp ? next : null;
}

/** A claimed row, and whether this send repeats one whose outcome is unknown. */
export interface Claim {
  row: OutboxRow;
  /** Re-sending after an unknown outcome: same Message-ID, no further unknown outcome allowed. */
  resend: boolean;
}

export /** Turns a send outcome into the row's next state. */
function recordFor(claim: Claim, outcome: SendOutcome, now: Date): SendRecord {
  const { row } = claim;
  switch (outcome.kind) {
    case 'sent':
      return { state: 'sent', sentAt: now };
    case 'permanent':
      return { state: 'failed', error: outcome.error, uncertain: false };
    case 'transient': {
      const next = nextAttemptAt(row.attempts, now, row.give_up_at);
      return next === null
        ? {
            state: 'failed',
            error: `Gave up after ${row.attempts} attempts: ${outcome.error}`,
            uncertain: false,
          }
        : { state: 'pending', scheduledFor: next, error: outcome.error };
    }
    case 'uncertain': {
      // uncertain_sends already counts an earlier unknown outcome (or this stuck row's claim).
      if (row.uncertain_sends >= 1) {
        return {
          state: 'failed',
          error: `Delivery uncertain twice; check with the recipient before retrying: ${outcome.error}`,
          uncertain: true,
        };
      }
      const next = nextAttemptAt(1, now, row.give_up_at);
      return next === null
        ? {
            state: 'failed',
            error: `Delivery uncertain and past its give-up time: ${outcome.error}`,
            uncertain: true,
          }
        : { state: 'uncertain', scheduledFor: next, error: outcome.error };
    }
  }
}
