import { type Kysely, sql } from 'kysely';

/*
 * Every committed change to what people read is announced on the `hub_changes` channel (NOTIFY is
 * delivered only at commit, and once per table per transaction). Each web process listens and
 * counts: while nothing is announced, what it remembered (pages, API reads, sessions) is still
 * true, so a repeat view needs no database at all (src/db/change-feed.ts, src/web/page-cache.ts).
 *
 * Not announced, because no remembered page or read shows them and they change all day: the audit
 * log, the outbox, due tasks, idempotency keys and sign-in links; a session only when it ends (not
 * its once-a-minute activity stamp); an API token only when it is revoked, re-keyed or deleted (not
 * its last-used stamp). A table added later must be announced or listed here; a test checks.
 * Frozen in time: Kysely<any> and plain SQL only.
 */
const announced = [
  'agencies',
  'agenda_deferrals',
  'agenda_item_requests',
  'agenda_items',
  'allocations',
  'children',
  'closures',
  'families',
  'hubs',
  'localities',
  'needs',
  'proforma_links',
  'proformas',
  'request_children',
  'request_needs',
  'requests',
  'schools',
  'sittings',
  'suggestions',
  'unassigned_reasons',
  'users',
];

const statements = [
  `create function hub_announce_change() returns trigger language plpgsql as $$
  begin
    perform pg_notify('hub_changes', tg_table_name);
    return null;
  end
  $$`,
  ...announced.map(
    (table) =>
      `create trigger hub_changes after insert or update or delete or truncate on ${table}
       for each statement execute function hub_announce_change()`,
  ),
  `create trigger hub_changes after delete or truncate on sessions
   for each statement execute function hub_announce_change()`,
  `create trigger hub_changes after update of revoked_at, user_id, token_hash or delete or truncate on api_tokens
   for each statement execute function hub_announce_change()`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [...announced, 'sessions', 'api_tokens'])
    await sql.raw(`drop trigger if exists hub_changes on ${table}`).execute(db);
  await sql.raw('drop function if exists hub_announce_change()').execute(db);
}
