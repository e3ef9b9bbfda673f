import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Database } from '../../schema/database.ts';
import { isIsoDate } from '../domain/working-days.ts';
import type { OutboxState } from '../email/outbox.repository.ts';
import { outboxHealth } from '../email/outbox-admin.service.ts';
import { AppError } from '../errors.ts';
import { type DueTask, listTasks } from '../queue/task.repository.ts';
import { parseOrThrow } from '../validation.ts';
import { sanitiseDetails } from './audit-view.ts';
import { countTasks, listAuditRows } from './ops-admin.repository.ts';

/*
 * The admin's operational views: the audit log with filters, and queue health (the outbox's
 * counts and the due tasks). Reads only; the one change (retrying a failed email) is the outbox
 * service's `retryFailed`.
 */

type Db = Kysely<Database>;

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());
const date = z.string().trim().refine(isIsoDate, 'must be a date YYYY-MM-DD');

/** Filters of the audit log (page query and GET /api/v1/audit). Dates are local to the council's zone. */
export const auditQuery = z
  .strictObject({
    actor: optional(
      z
        .string()
        .trim()
        .max(100)
        .regex(/^(user|system):[A-Za-z0-9._-]+$/, 'must be an actor such as user:12 or system:planner'),
    ),
    action: optional(
      z
        .string()
        .trim()
        .max(100)
        .regex(/^[a-z][a-z0-9.-]*$/, 'must be an action or its start, such as hub or hub.updated'),
    ),
    entity: optional(
      z
        .string()
        .trim()
        .max(50)
        .regex(/^[a-z][a-z_]*$/, 'must be an entity such as hub or request'),
    ),
    from: optional(date).describe('First day, YYYY-MM-DD (inclusive, local)'),
    to: optional(date).describe('Last day, YYYY-MM-DD (inclusive, local)'),
    cursor: optional(z.string().max(50)),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'must be on or after the first day',
    path: ['to'],
  });
export type AuditQuery = z.output<typeof auditQuery>;

/** One audit entry as admins see it: details sanitised (no free text). */
export interface AuditEntryView {
  id: number;
  at: Date;
  actor: string;
  actorName: string | null;
  action: string;
  entity: string;
  entityId: string | null;
  details: unknown;
}

function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const id = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(id) || id <= 0)
    throw new AppError('invalid-input', 'The cursor is not one this service gave out', {
      issues: [{ field: 'cursor', message: 'is not a cursor from a previous page; start again without it' }],
    });
  return id;
}

/**
 * A page of the audit log, newest first, filtered; `nextCursor` continues with older entries.
 * `zone` reads the from/to days (the council's zone). Details never carry free text.
 */
export async function auditPage(
  db: Db,
  input: unknown,
  zone: string,
): Promise<{ items: AuditEntryView[]; nextCursor: string | null; query: AuditQuery }> {
  const query = parseOrThrow(auditQuery, input, 'audit filter');
  const dayStart = (day: string, plus: number) =>
    DateTime.fromISO(day, { zone }).plus({ days: plus }).startOf('day').toJSDate();
  const rows = await listAuditRows(db, {
    actor: query.actor,
    action: query.action,
    entity: query.entity,
    since: query.from === undefined ? undefined : dayStart(query.from, 0),
    before: query.to === undefined ? undefined : dayStart(query.to, 1),
    beforeId: decodeCursor(query.cursor),
    limit: query.limit + 1,
  });
  const items = rows.slice(0, query.limit).map((r) => ({ ...r, details: sanitiseDetails(r.details) }));
  const last = items.at(-1);
  const nextCursor =
    rows.length > query.limit && last ? Buffer.from(String(last.id)).toString('base64url') : null;
  return { items, nextCursor, query };
}

/** Queue health: emails by state, due tasks by kind and state, and the failed tasks with their errors. */
export interface QueueHealth {
  outbox: Record<OutboxState, number>;
  tasks: Array<{ kind: string; state: string; count: number }>;
  failedTasks: DueTask[];
}

export async function queueHealth(db: Db): Promise<QueueHealth> {
  const [outbox, tasks, failedTasks] = await Promise.all([
    outboxHealth(db),
    countTasks(db),
    listTasks(db, { state: 'failed' }),
  ]);
  return { outbox, tasks, failedTasks };
}
