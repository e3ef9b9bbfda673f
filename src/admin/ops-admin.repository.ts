import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';

/*
 * Read-only views for admins: the audit log (filtered, newest first, keyset pages) and the due
 * tasks' health (counts by kind and state).
 */

type Db = Kysely<Database> | Transaction<Database>;

export interface AuditFilter {
  /** Exact actor label, e.g. `user:12` or `system:planner`. */
  actor?: string | undefined;
  /** An action or a dotted prefix of actions: `hub` matches `hub.created` and `hub.sittings.planned`. */
  action?: string | undefined;
  entity?: string | undefined;
  /** Entries at or after this instant. */
  since?: Date | undefined;
  /** Entries before this instant. */
  before?: Date | undefined;
  /** Entries with an id below this (the previous page's last id). */
  beforeId?: number | undefined;
  limit: number;
}

export interface AuditRow {
  id: number;
  at: Date;
  actor: string;
  /** The display name of a user actor (null for system actors and unknown users). */
  actorName: string | null;
  action: string;
  entity: string;
  entityId: string | null;
  details: unknown;
}

/** Audit entries matching the filter, newest first (by id, the order they were written). */
export async function listAuditRows(db: Db, filter: AuditFilter): Promise<AuditRow[]> {
  let query = db
    .selectFrom('audit_log as l')
    .leftJoin('users as u', (join) => join.on(sql<boolean>`l.actor = 'user:' || u.id::text`))
    .select([
      'l.id',
      'l.at',
      'l.actor',
      'u.display_name',
      'l.action',
      'l.entity',
      'l.entity_id',
      'l.details',
    ]);
  if (filter.actor) query = query.where('l.actor', '=', filter.actor);
  if (filter.action) {
    const action = filter.action;
    query = query.where((eb) =>
      eb.or([eb('l.action', '=', action), eb('l.action', 'like', `${action.replace(/[\\%_]/g, '\\$&')}.%`)]),
    );
  }
  if (filter.entity) query = query.where('l.entity', '=', filter.entity);
  if (filter.since) query = query.where('l.at', '>=', filter.since);
  if (filter.before) query = query.where('l.at', '<', filter.before);
  if (filter.beforeId !== undefined) query = query.where('l.id', '<', filter.beforeId);
  const rows = await query.orderBy('l.id', 'desc').limit(filter.limit).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at,
    actor: r.actor,
    actorName: r.display_name,
    action: r.action,
    entity: r.entity,
    entityId: r.entity_id,
    details: r.details,
  }));
}

/** The entity names present in the audit log (for the filter's choices). */
export async function auditEntities(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('audit_log').select('entity').distinct().orderBy('entity').execute();
  return rows.map((r) => r.entity);
}

/** Due tasks counted by kind and state. */
export async function countTasks(db: Db): Promise<Array<{ kind: string; state: string; count: number }>> {
  return db
    .selectFrom('due_tasks')
    .select(['kind', 'state', sql<number>`count(*)::int`.as('count')])
    .groupBy(['kind', 'state'])
    .orderBy('kind')
    .orderBy('state')
    .execute();
}
