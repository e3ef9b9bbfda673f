import { type Kysely, sql } from 'kysely';

/*
 * Counts the sends of an outbox row whose outcome is unknown (connection lost after the message
 * data went out, or the worker died mid-send). The dispatcher re-sends such a row once, with the
 * same Message-ID, and fails it after a second unknown outcome: a crash between two statements must
 * not turn "retry once" into "retry forever". Frozen in time: Kysely<any> and plain SQL only.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table email_outbox
    add column uncertain_sends integer not null default 0 check (uncertain_sends >= 0)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table email_outbox drop column if exists uncertain_sends`.execute(db);
}
