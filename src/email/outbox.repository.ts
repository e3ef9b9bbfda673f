import { type Kysely, sql } from 'kysely';
import type { Database } from '../../schema/database.ts';

/*
 * The only Kysely code for the email outbox. Every function takes `db` or a transaction first;
 * the service decides where transactions begin. Instants are compared with the caller's `now`,
 * never the database clock, so a simulated clock drives the whole pipeline.
 */

type Db = Kysely<Database>;

export type OutboxState = 'pending' | 'sending' | 'sent' | 'failed' | 'uncertain' | 'cancelled';
export const outboxStates: readonly OutboxState[] = [
  'pending',
  'sending',
  'sent',
  'failed',
  'uncertain',
  'cancelled',
];

export interface OutboxRow {
  id: number;
  idempotency_key: string;
  template: string;
  to_address: string;
  params: unknown;
  request_id: number | null;
  proforma_id: number | null;
  scheduled_for: Date;
  give_up_at: Date | null;
  state: OutboxState;
  attempts: number;
  uncertain_sends: number;
  locked_until: Date | null;
  last_error: string | null;
  message_id: string;
  sent_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const columns = [
  'id',
  'idempotency_key',
  'template',
  'to_address',
  'params',
  'request_id',
  'proforma_id',
  'scheduled_for',
  'give_up_at',
  'state',
  'attempts',
  'uncertain_sends',
  'locked_until',
  'last_error',
  'message_id',
  'sent_at',
  'created_at',
  'updated_at',
] as const;

export interface NewOutboxRow {
  idempotency_key: string;
  template: string;
  to_address: string;
  params: unknown;
  request_id: number | null;
  proforma_id: number | null;
  scheduled_for: Date;
  give_up_at: Date | null;
  message_id: string;
}

/** Inserts a row unless its idempotency key exists; returns the new row's id, or undefined. */
export async function insertOutboxRow(db: Db, row: NewOutboxRow): Promise<number | undefined> {
  const inserted = await db
    .insertInto('email_outbox')
    .values({ ...row, params: JSON.stringify(row.params) })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted?.id;
}

export async function findOutboxByKey(db: Db, idempotencyKey: string): Promise<OutboxRow | undefined> {
  const row = await db
    .selectFrom('email_outbox')
    .select(columns)
    .where('idempotency_key', '=', idempotencyKey)
    .executeTakeFirst();
  return row as unknown as OutboxRow | undefined;
}

export async function findOutboxById(db: Db, id: number, lock = false): Promise<OutboxRow | undefined> {
  let query = db.selectFrom('email_outbox').select(columns).where('id', '=', id);
  if (lock) query = query.forUpdate();
  return (await query.executeTakeFirst()) as unknown as OutboxRow | undefined;
}

/**
 * Locks up to `limit` rows that are due at `now`: pending or uncertain rows whose time has come,
 * and rows left in `sending` past their lease (a worker died mid-send). Rows another worker holds
 * are skipped (FOR UPDATE SKIP LOCKED), so dispatchers never claim the same row. Oldest first.
 */
export async function lockDueRows(trx: Db, now: Date, limit: number): Promise<OutboxRow[]> {
  const rows = await trx
    .selectFrom('email_outbox')
    .select(columns)
    .where((eb) =>
      eb.or([
        eb.and([eb('state', 'in', ['pending', 'uncertain']), eb('scheduled_for', '<=', now)]),
        eb.and([eb('state', '=', 'sending'), eb('locked_until', '<', now)]),
      ]),
    )
    .orderBy('scheduled_for')
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows as unknown as OutboxRow[];
}

/**
 * Which of `proformaIds` are submitted. Takes a share lock so a submission still in flight is
 * waited for rather than missed.
 */
export async function submittedProformaIds(trx: Db, proformaIds: number[]): Promise<Set<number>> {
  if (proformaIds.length === 0) return new Set();
  const rows = await trx
    .selectFrom('proformas')
    .select('id')
    .where('id', 'in', proformaIds)
    .where('status', '=', 'submitted')
    .forShare()
    .execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * pending/uncertain/stuck -> sending: one more attempt, leased until `lockedUntil`. Stuck rows
 * (`stuck`) also count one more unknown-outcome send. Returns the claimed rows as they now are.
 */
export async function claimRows(
  trx: Db,
  ids: number[],
  lockedUntil: Date,
  stuck: boolean,
): Promise<OutboxRow[]> {
  if (ids.length === 0) return [];
  const rows = await trx
    .updateTable('email_outbox')
    .set((eb) => ({
      state: 'sending' as const,
      attempts: eb('attempts', '+', 1),
      locked_until: lockedUntil,
      updated_at: sql`now()`,
      ...(stuck
        ? {
            uncertain_sends: eb('uncertain_sends', '+', 1),
            last_error: 'The worker stopped while sending; re-sent once with the same Message-ID',
          }
        : {}),
    }))
    .where('id', 'in', ids)
    .returning(columns)
    .execute();
  return rows as unknown as OutboxRow[];
}

/** Ends rows without sending them: `cancelled` (no longer wanted) or `failed` (with the reason). */
export async function closeRows(
  trx: Db,
  ids: number[],
  state: 'cancelled' | 'failed',
  reason: string,
): Promise<void> {
  if (ids.length === 0) return;
  await trx
    .updateTable('email_outbox')
    .set({ state, locked_until: null, last_error: reason, updated_at: sql`now()` })
    .where('id', 'in', ids)
    .execute();
}

export type SendRecord =
  | { state: 'sent'; sentAt: Date }
  | { state: 'pending'; scheduledFor: Date; error: string }
  | { state: 'uncertain'; scheduledFor: Date; error: string }
  | { state: 'failed'; error: string; uncertain: boolean };

/**
 * Records the outcome of a send. Fenced by `attempt`: if the lease ran out and another dispatcher
 * re-claimed the row (attempts moved on), this older outcome is dropped. Returns whether it landed.
 */
export async function recordSend(db: Db, id: number, attempt: number, record: SendRecord): Promise<boolean> {
  const query = db
    .updateTable('email_outbox')
    .where('id', '=', id)
    .where('state', '=', 'sending')
    .where('attempts', '=', attempt);
  let update: typeof query;
  switch (record.state) {
    case 'sent':
      update = query.set({
        locked_until: null,
        updated_at: sql`now()`,
        state: 'sent',
        sent_at: record.sentAt,
      });
      break;
    case 'pending':
      update = query.set({
        locked_until: null,
        updated_at: sql`now()`,
        state: 'pending',
        scheduled_for: record.scheduledFor,
        last_error: record.error,
      });
      break;
    case 'uncertain':
      update = query.set((eb) => ({
        locked_until: null,
        updated_at: sql`now()`,
        state: 'uncertain',
        scheduled_for: record.scheduledFor,
        last_error: record.error,
        uncertain_sends: eb('uncertain_sends', '+', 1),
      }));
      break;
    case 'failed':
      update = query.set((eb) => ({
        locked_until: null,
        updated_at: sql`now()`,
        state: 'failed',
        last_error: record.error,
        ...(record.uncertain ? { uncertain_sends: eb('uncertain_sends', '+', 1) } : {}),
      }));
      break;
  }
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** When links to a proforma stop working: the end of its sitting. Undefined when no such proforma. */
export async function proformaLinkExpiry(db: Db, proformaId: number): Promise<Date | undefined> {
  const row = await db
    .selectFrom('proformas')
    .innerJoin('sittings', 'sittings.id', 'proformas.sitting_id')
    .select('sittings.ends_at')
    .where('proformas.id', '=', proformaId)
    .executeTakeFirst();
  return row?.ends_at;
}

/** Rows in `state` (all states when undefined), by scheduled time, oldest first. */
export async function listOutboxRows(
  db: Db,
  filter: { state?: OutboxState; limit: number },
): Promise<OutboxRow[]> {
  let query = db.selectFrom('email_outbox').select(columns);
  if (filter.state !== undefined) query = query.where('state', '=', filter.state);
  const rows = await query.orderBy('scheduled_for').orderBy('id').limit(filter.limit).execute();
  return rows as unknown as OutboxRow[];
}

/** failed -> pending, due at `now`, with a fresh unknown-outcome allowance. */
export async function requeueFailed(db: Db, id: number, now: Date, giveUpAt: Date | null): Promise<void> {
  await db
    .updateTable('email_outbox')
    .set({
      state: 'pending',
      scheduled_for: now,
      give_up_at: giveUpAt,
      uncertain_sends: 0,
      locked_until: null,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .where('state', '=', 'failed')
    .execute();
}

/** Counts of rows per state (all six states, zero when none). */
export async function countOutboxByState(db: Db): Promise<Record<OutboxState, number>> {
  const rows = await db
    .selectFrom('email_outbox')
    .select(['state', sql<number>`count(*)`.as('count')])
    .groupBy('state')
    .execute();
  const counts = Object.fromEntries(outboxStates.map((s) => [s, 0])) as Record<OutboxState, number>;
  for (const r of rows) counts[r.state as OutboxState] = Number(r.count);
  return counts;
}
