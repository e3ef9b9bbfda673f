import { type Kysely, sql } from 'kysely';

/*
 * Due tasks: every scheduled action (plan a hub's sittings, build an agenda, chase proformas,
 * compute suggestions) is a row with its due instant, so a wiped Redis loses nothing: the sweeper
 * re-enqueues whatever is due and not done. (kind, key) makes re-scheduling idempotent.
 *
 * Proforma links: a school may hold several emailed links for one proforma (the request and each
 * reminder carry their own), each a random token stored only as its SHA-256 hash and expiring after
 * the sitting. Tokens are minted when the email is sent, so no raw token is ever stored. The single
 * token columns on proformas are dropped for that reason.
 */
const statements = [
  `create table due_tasks (
    id integer generated always as identity primary key,
    kind text not null check (kind in ('plan-sittings', 'build-agenda', 'chase-proformas', 'compute-suggestions')),
    key text not null check (length(key) > 0),
    hub_id integer references hubs(id) on delete cascade,
    sitting_id integer references sittings(id) on delete cascade,
    due_at timestamptz not null,
    state text not null default 'pending' check (state in ('pending', 'running', 'done', 'failed')),
    attempts integer not null default 0 check (attempts >= 0),
    locked_until timestamptz,
    last_error text,
    done_at timestamptz,
    created_at timestamptz not null default now(),
    unique (kind, key),
    check ((state = 'done') = (done_at is not null)),
    check (kind not in ('build-agenda', 'compute-suggestions') or sitting_id is not null)
  )`,
  `create index due_tasks_due on due_tasks (due_at) where state in ('pending', 'running')`,
  `create table proforma_links (
    id integer generated always as identity primary key,
    proforma_id integer not null references proformas(id) on delete cascade,
    token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
    expires_at timestamptz not null,
    created_at timestamptz not null default now()
  )`,
  `alter table proformas drop column token_hash`,
  `alter table proformas drop column token_expires_at`,
  `alter table proformas add column requested_at timestamptz`,
  `alter table proformas add column reminders_sent integer[] not null default '{}'`,
  `alter table proformas add column escalated_at timestamptz`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists proforma_links`.execute(db);
  await sql`drop table if exists due_tasks`.execute(db);
  await sql
    .raw(
      `alter table proformas drop column requested_at, drop column reminders_sent, drop column escalated_at,
     add column token_hash text unique, add column token_expires_at timestamptz`,
    )
    .execute(db);
}
