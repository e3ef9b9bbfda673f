import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';
import { type Actor, actorLabel } from '../actor.ts';

export interface AuditEntry {
  /** Dotted verb, e.g. `agenda.item.moved`, `allocation.accepted`, `school.imported`. */
  action: string;
  /** Table-like noun: `request`, `sitting`, `agenda_item`, `allocation`, ... */
  entity: string;
  entityId: string | number | null;
  /** What changed. Ids and codes only: never a child's or parent's name, date of birth or address. */
  details?: Record<string, unknown>;
}

/**
 * Appends entries to the audit log. Call it inside the transaction that makes the change, so the
 * change and its record land together or not at all. The table refuses updates and deletes.
 */
export async function writeAudit(
  db: Kysely<Database> | Transaction<Database>,
  actor: Actor,
  entries: AuditEntry | AuditEntry[],
): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  await db
    .insertInto('audit_log')
    .values(
      list.map((e) => ({
        actor: actorLabel(actor),
        action: e.action,
        entity: e.entity,
        entity_id: e.entityId === null ? null : String(e.entityId),
        details: JSON.stringify(e.details ?? {}),
      })),
    )
    .execute();
}
