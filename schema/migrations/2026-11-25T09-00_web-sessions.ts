import { type Kysely, sql } from 'kysely';

/*
 * Web sign-in, sessions, API tokens and idempotent POSTs. Every secret (session id, sign-in token,
 * API token) is random and stored only as its SHA-256 hash (64 hex), so a copy of the database
 * signs nobody in. Sessions live here (not in process memory) so web processes are stateless.
 *
 * An API token acts as a service account: a `users` row with the token's role and scope (the users
 * table's checks keep role and scope consistent), so every service scopes and audits a token like a
 * person. Such users cannot sign in by email. Frozen in time: Kysely<any> and plain SQL only.
 */
const statements = [
  `create table sessions (
    id_hash text primary key check (id_hash ~ '^[0-9a-f]{64}$'),
    user_id integer not null references users(id) on delete cascade,
    csrf_secret text not null check (length(csrf_secret) >= 32),
    created_at timestamptz not null,
    last_seen_at timestamptz not null,
    expires_at timestamptz not null,
    check (last_seen_at >= created_at),
    check (expires_at > created_at)
  )`,
  `create index sessions_user on sessions (user_id)`,
  `create index sessions_expires on sessions (expires_at)`,

  `create table sign_in_tokens (
    token_hash text primary key check (token_hash ~ '^[0-9a-f]{64}$'),
    user_id integer not null references users(id) on delete cascade,
    redirect_to text check (redirect_to is null or redirect_to ~ '^/([^/\\\\]|$)'),
    created_at timestamptz not null,
    expires_at timestamptz not null,
    used_at timestamptz,
    check (expires_at > created_at),
    check (used_at is null or used_at >= created_at)
  )`,
  `create index sign_in_tokens_user on sign_in_tokens (user_id, created_at)`,

  `create table api_tokens (
    id integer generated always as identity primary key,
    name text not null unique check (name ~ '^[a-z][a-z0-9-]{0,62}$'),
    user_id integer not null unique references users(id),
    token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
    created_by text not null check (length(created_by) > 0),
    created_at timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at timestamptz
  )`,

  // One row per (caller, Idempotency-Key): a retried POST replays the stored response.
  `create table idempotency_keys (
    principal text not null check (length(principal) > 0),
    key text not null check (length(key) between 1 and 255),
    request_hash text not null check (request_hash ~ '^[0-9a-f]{64}$'),
    response_status integer check (response_status between 100 and 599),
    response_body jsonb,
    created_at timestamptz not null default now(),
    primary key (principal, key)
  )`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['idempotency_keys', 'api_tokens', 'sign_in_tokens', 'sessions'])
    await sql.raw(`drop table if exists ${table}`).execute(db);
}
