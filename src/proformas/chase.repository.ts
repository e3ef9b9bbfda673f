import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../schema/database.ts';
import { randomSecret, sha256Hex } from '../auth/secret.ts';

/*
 * The chasing side of proformas: creating them for an agenda, finding what is still outstanding,
 * recording reminders and escalations, and minting emailed links. (The form side is in
 * proforma.repository.ts.)
 */

type Conn = Kysely<Database> | Transaction<Database>;

export type ProformaStatus = 'requested' | 'draft' | 'submitted';

export interface OutstandingProforma {
  id: number;
  requestId: number;
  requestReference: string;
  sittingId: number;
  schoolId: number | null;
  status: ProformaStatus;
  deadlineAt: Date;
  requestedAt: Date | null;
  remindersSent: number[];
  escalatedAt: Date | null;
}

/** Creates the proforma of a request for a sitting unless it exists; returns it either way. */
export async function ensureProforma(
  db: Conn,
  p: { requestId: number; sittingId: number; deadlineAt: Date; requestedAt: Date },
): Promise<{ id: number; status: ProformaStatus; created: boolean }> {
  const inserted = await db
    .insertInto('proformas')
    .values({
      request_id: p.requestId,
      sitting_id: p.sittingId,
      deadline_at: p.deadlineAt,
      requested_at: p.requestedAt,
    })
    .onConflict((oc) => oc.columns(['request_id', 'sitting_id']).doNothing())
    .returning(['id', 'status'])
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, status: inserted.status as ProformaStatus, created: true };
  const existing = await db
    .selectFrom('proformas')
    .select(['id', 'status'])
    .where('request_id', '=', p.requestId)
    .where('sitting_id', '=', p.sittingId)
    .executeTakeFirstOrThrow();
  return { id: existing.id, status: existing.status as ProformaStatus, created: false };
}

/**
 * Proformas still being chased: not submitted, not escalated, whose request is still on that
 * sitting's agenda, for sittings that have not started.
 */
export async function findOutstandingProformas(db: Conn, now: Date): Promise<OutstandingProforma[]> {
  const rows = await db
    .selectFrom('proformas')
    .innerJoin('requests', 'requests.id', 'proformas.request_id')
    .innerJoin('sittings', 'sittings.id', 'proformas.sitting_id')
    .innerJoin('agenda_item_requests as air', (join) =>
      join
        .onRef('air.request_id', '=', 'proformas.request_id')
        .onRef('air.sitting_id', '=', 'proformas.sitting_id'),
    )
    .select([
      'proformas.id',
      'proformas.request_id',
      'requests.reference',
      'requests.school_id',
      'proformas.sitting_id',
      'proformas.status',
      'proformas.deadline_at',
      'proformas.requested_at',
      'proformas.reminders_sent',
      'proformas.escalated_at',
    ])
    .where('proformas.status', '<>', 'submitted')
    .where('proformas.escalated_at', 'is', null)
    .where('sittings.status', 'in', ['planned', 'published'])
    .where('sittings.starts_at', '>', now)
    .orderBy('proformas.sitting_id')
    .orderBy('proformas.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    requestId: r.request_id,
    requestReference: r.reference,
    sittingId: r.sitting_id,
    schoolId: r.school_id,
    status: r.status as ProformaStatus,
    deadlineAt: r.deadline_at,
    requestedAt: r.requested_at,
    remindersSent: r.reminders_sent,
    escalatedAt: r.escalated_at,
  }));
}

export async function recordReminder(db: Conn, proformaId: number, reminderNumber: number): Promise<void> {
  await db
    .updateTable('proformas')
    .set({
      reminders_sent: sql`array_append(reminders_sent, ${reminderNumber}::integer)`,
      updated_at: new Date(),
    })
    .where('id', '=', proformaId)
    .where(sql<boolean>`not (${reminderNumber}::integer = any(reminders_sent))`)
    .execute();
}

export async function markEscalated(db: Conn, proformaIds: number[], at: Date): Promise<void> {
  if (proformaIds.length === 0) return;
  await db.updateTable('proformas').set({ escalated_at: at }).where('id', 'in', proformaIds).execute();
}

/** Adds `flag` to the agenda items holding these requests at this sitting (once). Returns the items flagged now. */
export async function flagAgendaItems(
  db: Conn,
  sittingId: number,
  requestIds: number[],
  flag: string,
): Promise<number[]> {
  if (requestIds.length === 0) return [];
  const rows = await db
    .updateTable('agenda_items')
    .set({ flags: sql`array_append(flags, ${flag}::text)`, updated_at: new Date() })
    .where('sitting_id', '=', sittingId)
    .where(sql<boolean>`not (${flag}::text = any(flags))`)
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('agenda_item_requests')
        .select('agenda_item_id')
        .where('sitting_id', '=', sittingId)
        .where('request_id', 'in', requestIds),
    )
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Safeguarding leads of schools (one email per recipient). */
export async function schoolContacts(
  db: Conn,
  schoolIds: number[],
): Promise<Map<number, { name: string; emails: string[] }>> {
  if (schoolIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('schools')
    .select(['id', 'name', 'safeguarding_lead_emails'])
    .where('id', 'in', schoolIds)
    .execute();
  return new Map(rows.map((r) => [r.id, { name: r.name, emails: r.safeguarding_lead_emails }]));
}

/** Active coordinators: they receive escalations. */
export async function coordinatorEmails(db: Conn): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('email')
    .where('role', '=', 'coordinator')
    .where('active', '=', true)
    .orderBy('email')
    .execute();
  return rows.map((r) => r.email);
}

/**
 * Mints a link token for a proforma (randomSecret: 32 random bytes); only its SHA-256 is stored.
 * Called when an email is sent, so no raw token is ever written anywhere.
 */
export async function mintProformaLink(db: Conn, proformaId: number, expiresAt: Date): Promise<string> {
  const token = randomSecret();
  await db
    .insertInto('proforma_links')
    .values({ proforma_id: proformaId, token_hash: sha256Hex(token), expires_at: expiresAt })
    .execute();
  return token;
}
