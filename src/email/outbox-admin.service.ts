import type { Kysely } from 'kysely';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import { AppError } from '../errors.ts';
import {
  countOutboxByState,
  findOutboxById,
  listOutboxRows,
  type OutboxRow,
  type OutboxState,
  outboxStates,
  requeueFailed,
} from './outbox.repository.ts';

type Db = Kysely<Database>;

/*
 * The outbox as admins see and mend it: lists without params (they hold links with tokens), counts
 * for queue health, and a failed email sent again (audited).
 */

/** An outbox row as admins see it: no params (they hold links with tokens). */
export interface OutboxEntry {
  id: number;
  template: string;
  to: string;
  state: OutboxState;
  attempts: number;
  uncertainSends: number;
  scheduledFor: Date;
  giveUpAt: Date | null;
  sentAt: Date | null;
  lastError: string | null;
  messageId: string;
  requestId: number | null;
  proformaId: number | null;
}

function toEntry(row: OutboxRow): OutboxEntry {
  return {
    id: row.id,
    template: row.template,
    to: row.to_address,
    state: row.state,
    attempts: row.attempts,
    uncertainSends: row.uncertain_sends,
    scheduledFor: row.scheduled_for,
    giveUpAt: row.give_up_at,
    sentAt: row.sent_at,
    lastError: row.last_error,
    messageId: row.message_id,
    requestId: row.request_id,
    proformaId: row.proforma_id,
  };
}

/** Outbox rows, optionally of one state, by scheduled time (oldest first); at most `limit` (default 200). */
export async function listOutbox(
  db: Db,
  filter: { state?: OutboxState; limit?: number } = {},
): Promise<OutboxEntry[]> {
  if (filter.state !== undefined && !outboxStates.includes(filter.state)) {
    throw new AppError('invalid-input', `Unknown email state "${filter.state}"`, {
      issues: [{ field: 'state', message: `must be one of ${outboxStates.join(', ')}` }],
    });
  }
  const rows = await listOutboxRows(db, { state: filter.state, limit: filter.limit ?? 200 });
  return rows.map(toEntry);
}

/** Rows per state, for queue health. */
export function outboxHealth(db: Db): Promise<Record<OutboxState, number>> {
  return countOutboxByState(db);
}

/**
 * An admin sends a failed email again: it becomes pending, due at `now`, with its give-up time
 * kept if still ahead (else none) and the same Message-ID. Audited. Only admins and the system may.
 */
export async function retryFailed(
  db: Db,
  id: number,
  actor: Actor,
  now: Date = new Date(),
): Promise<OutboxEntry> {
  if (actor.kind === 'user' && actor.role !== 'admin') {
    throw new AppError('forbidden', 'Only an admin can retry an email');
  }
  return db.transaction().execute(async (trx) => {
    const row = await findOutboxById(trx, id, true);
    if (row === undefined) throw new AppError('not-found', `There is no email ${id} in the outbox`);
    if (row.state !== 'failed') {
      throw new AppError('conflict', `Email ${id} is ${row.state}; only a failed email can be retried`);
    }
    const giveUpAt = row.give_up_at !== null && row.give_up_at > now ? row.give_up_at : null;
    await requeueFailed(trx, id, now, giveUpAt);
    await writeAudit(trx, actor, {
      action: 'email.retried',
      entity: 'email_outbox',
      entityId: id,
      details: { template: row.template, attempts: row.attempts, uncertainSends: row.uncertain_sends },
    });
    const updated = await findOutboxById(trx, id);
    return toEntry(updated as OutboxRow);
  });
}
