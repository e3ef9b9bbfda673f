import { type Kysely, sql } from 'kysely';
import type { Database } from '../../schema/database.ts';

type Db = Kysely<Database>;

export async function hubCount(db: Db): Promise<number> {
  const row = await db.selectFrom('hubs').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Proformas requested long enough ago that a prompt school would have answered. */
export async function proformasToAnswer(
  db: Db,
  requestedBefore: Date,
): Promise<Array<{ id: number; requestId: number }>> {
  const rows = await db
    .selectFrom('proformas')
    .select(['id', 'request_id'])
    .where('status', '<>', 'submitted')
    .where('requested_at', '<=', requestedBefore)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, requestId: r.request_id }));
}

export async function sittingsSummary(db: Db) {
  return db
    .selectFrom('sittings')
    .select(['id', 'date', 'starts_at', 'status', 'moved_from', 'agenda_built_at'])
    .orderBy('date')
    .execute();
}

export async function agendaCounts(db: Db, sittingId: number) {
  const items = await db
    .selectFrom('agenda_items')
    .select([sql<number>`count(*)`.as('items'), sql<number>`coalesce(sum(slots_used), 0)`.as('slots')])
    .where('sitting_id', '=', sittingId)
    .executeTakeFirstOrThrow();
  const requests = await db
    .selectFrom('agenda_item_requests')
    .select(sql<number>`count(*)`.as('n'))
    .where('sitting_id', '=', sittingId)
    .executeTakeFirstOrThrow();
  const flagged = await db
    .selectFrom('agenda_items')
    .select(sql<number>`count(*)`.as('n'))
    .where('sitting_id', '=', sittingId)
    .where(sql<boolean>`'proforma-missing' = any(flags)`)
    .executeTakeFirstOrThrow();
  const deferred = await db
    .selectFrom('agenda_deferrals')
    .select(['reason', sql<number>`count(*)`.as('n')])
    .where('sitting_id', '=', sittingId)
    .groupBy('reason')
    .orderBy('reason')
    .execute();
  return {
    items: Number(items.items),
    slotsUsed: Number(items.slots),
    requests: Number(requests.n),
    flaggedProformaMissing: Number(flagged.n),
    deferred: Object.fromEntries(deferred.map((d) => [d.reason, Number(d.n)])),
  };
}

export async function emailCounts(db: Db) {
  const rows = await db
    .selectFrom('email_outbox')
    .select(['template', 'state', sql<number>`count(*)`.as('n')])
    .groupBy(['template', 'state'])
    .orderBy('template')
    .orderBy('state')
    .execute();
  const out: Record<string, Record<string, number>> = {};
  for (const r of rows) {
    out[r.template] ??= {};
    (out[r.template] as Record<string, number>)[r.state] = Number(r.n);
  }
  return out;
}

export async function proformaCounts(db: Db) {
  const rows = await db
    .selectFrom('proformas')
    .select([
      sql<number>`count(*)`.as('requested'),
      sql<number>`count(*) filter (where status = 'submitted')`.as('submitted'),
      sql<number>`count(*) filter (where escalated_at is not null)`.as('escalated'),
    ])
    .executeTakeFirstOrThrow();
  return {
    requested: Number(rows.requested),
    submitted: Number(rows.submitted),
    escalated: Number(rows.escalated),
  };
}

export async function suggestionCounts(db: Db) {
  const row = await db
    .selectFrom('suggestions')
    .select([
      sql<number>`count(*) filter (where rank = 0)`.as('proposals'),
      sql<number>`count(distinct sitting_id)`.as('sittings'),
    ])
    .executeTakeFirstOrThrow();
  return { proposals: Number(row.proposals), sittings: Number(row.sittings) };
}

/** The earliest instant after `now` at which a task, an email or a prompt school's answer falls due. */
export async function nextEventAfter(db: Db, now: Date, answerDelayMs: number): Promise<Date | null> {
  const task = await db
    .selectFrom('due_tasks')
    .select(sql<Date | null>`min(due_at)`.as('at'))
    .where('state', '=', 'pending')
    .where('due_at', '>', now)
    .executeTakeFirstOrThrow();
  const email = await db
    .selectFrom('email_outbox')
    .select(sql<Date | null>`min(scheduled_for)`.as('at'))
    .where('state', 'in', ['pending', 'uncertain'])
    .where('scheduled_for', '>', now)
    .executeTakeFirstOrThrow();
  const answer = await db
    .selectFrom('proformas')
    .select(sql<Date | null>`min(requested_at + ${`${answerDelayMs} milliseconds`}::interval)`.as('at'))
    .where('status', '<>', 'submitted')
    .where(sql<boolean>`requested_at + ${`${answerDelayMs} milliseconds`}::interval > ${now}`)
    .executeTakeFirstOrThrow();
  const times = [task.at, email.at, answer.at]
    .filter((t): t is Date => t !== null)
    .map((t) => new Date(t).getTime());
  return times.length ? new Date(Math.min(...times)) : null;
}
