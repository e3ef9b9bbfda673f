import { type Kysely, sql } from 'kysely';

/*
 * Why a request on a sitting's agenda got no proposal when its suggestions were last computed: the
 * matching's funnel reason (what the agencies do, then ages, then locality, then free places).
 * Stored beside the suggestions and replaced with them, so the coordinator's queue and the API say
 * why without computing again. One reason per request (the matching gives the first that blocked).
 * Frozen in time: Kysely<any> and plain SQL only.
 */
const statements = [
  `create table unassigned_reasons (
    sitting_id integer not null references sittings(id) on delete cascade,
    request_id integer not null references requests(id),
    reason text not null check (reason in ('no-agency-covers-need', 'age-range', 'locality', 'no-capacity')),
    computed_at timestamptz not null default now(),
    primary key (sitting_id, request_id)
  )`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('drop table if exists unassigned_reasons').execute(db);
}
