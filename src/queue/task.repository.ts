import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';

type Conn = Kysely<Database> | Transaction<Database>;

export type TaskKind = 'plan-sittings' | 'build-agenda' | 'chase-proformas' | 'compute-suggestions';

export interface DueTask {
  id: number;
  kind: TaskKind;
  key: string;
  hubId: number | null;
  sittingId: number | null;
  dueAt: Date;
  state: 'pending' | 'running' | 'done' | 'failed';
  attempts: number;
  lastError: string | null;
}

const columns = [
  'id',
  'kind',
  'key',
  'hub_id',
  'sitting_id',
  'due_at',
  'state',
  'attempts',
  'last_error',
] as const;

function toTask(row: {
  id: number;
  kind: string;
  key: string;
  hub_id: number | null;
  sitting_id: number | null;
  due_at: Date;
  state: string;
  attempts: number;
  last_error: string | null;
}): DueTask {
  return {
    id: row.id,
    kind: row.kind as TaskKind,
    key: row.key,
    hubId: row.hub_id,
    sittingId: row.sitting_id,
    dueAt: row.due_at,
    state: row.state as DueTask['state'],
    attempts: row.attempts,
    lastError: row.last_error,
  };
}

/**
 * Schedules a task unless one with the same (kind, key) exists. A pending task's due time is
 * updated (e.g. a moved sitting moves its agenda build); a running, done or failed one is left alone.
 */
export async function scheduleTask(
  db: Conn,
  task: { kind: TaskKind; key: string; dueAt: Date; hubId?: number | null; sittingId?: number | null },
): Promise<void> {
  await db
    .insertInto('due_tasks')
    .values({
      kind: task.kind,
      key: task.key,
      due_at: task.dueAt,
      hub_id: task.hubId ?? null,
      sitting_id: task.sittingId ?? null,
    })
    .onConflict((oc) =>
      oc
        .columns(['kind', 'key'])
        .doUpdateSet({ due_at: task.dueAt })
        .where('due_tasks.state', '=', 'pending'),
    )
    .execute();
}

/** Tasks due at `now`: pending ones, and running ones whose worker's lease ran out (it died). */
export async function findDueTasks(db: Conn, now: Date, limit = 500): Promise<DueTask[]> {
  const rows = await db
    .selectFrom('due_tasks')
    .select(columns)
    .where('due_at', '<=', now)
    .where((eb) =>
      eb.or([
        eb('state', '=', 'pending'),
        eb.and([eb('state', '=', 'running'), eb('locked_until', '<', now)]),
      ]),
    )
    .orderBy('due_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toTask);
}

/**
 * Claims a task for one run: only one worker wins, even when BullMQ delivers the job twice.
 * Returns null when the task is done, failed, or held by a live lease.
 */
export async function claimTask(
  db: Conn,
  id: number,
  now: Date,
  leaseSeconds: number,
): Promise<DueTask | null> {
  const row = await db
    .updateTable('due_tasks')
    .set({
      state: 'running',
      attempts: sql`attempts + 1`,
      locked_until: new Date(now.getTime() + leaseSeconds * 1000),
    })
    .where('id', '=', id)
    .where('due_at', '<=', now)
    .where((eb) =>
      eb.or([
        eb('state', '=', 'pending'),
        eb.and([eb('state', '=', 'running'), eb('locked_until', '<', now)]),
      ]),
    )
    .returning(columns)
    .executeTakeFirst();
  return row ? toTask(row) : null;
}

export async function completeTask(db: Conn, id: number, now: Date): Promise<void> {
  await db
    .updateTable('due_tasks')
    .set({ state: 'done', done_at: now, locked_until: null, last_error: null })
    .where('id', '=', id)
    .execute();
}

/** Puts a failed run back (due again at `retryAt`), or marks it failed for admins when `retryAt` is null. */
export async function releaseTask(db: Conn, id: number, error: string, retryAt: Date | null): Promise<void> {
  await db
    .updateTable('due_tasks')
    .set(
      retryAt === null
        ? { state: 'failed', locked_until: null, last_error: error.slice(0, 2000) }
        : { state: 'pending', due_at: retryAt, locked_until: null, last_error: error.slice(0, 2000) },
    )
    .where('id', '=', id)
    .execute();
}

export async function listTasks(db: Conn, filter: { state?: DueTask['state'] } = {}): Promise<DueTask[]> {
  let query = db.selectFrom('due_tasks').select(columns).orderBy('due_at').orderBy('id');
  if (filter.state) query = query.where('state', '=', filter.state);
  return (await query.execute()).map(toTask);
}

export async function listHubZones(db: Conn): Promise<Array<{ id: number; timezone: string }>> {
  return db.selectFrom('hubs').select(['id', 'timezone']).orderBy('id').execute();
}

/** Whether any email is due now (pending or uncertain and scheduled, or a send whose lease ran out). */
export async function emailsDue(db: Conn, now: Date): Promise<number> {
  const row = await db
    .selectFrom('email_outbox')
    .select(sql<number>`count(*)`.as('n'))
    .where((eb) =>
      eb.or([
        eb.and([eb('state', 'in', ['pending', 'uncertain']), eb('scheduled_for', '<=', now)]),
        eb.and([eb('state', '=', 'sending'), eb('locked_until', '<', now)]),
      ]),
    )
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
