import { type Kysely, sql } from 'kysely';

/*
 * Initial schema. Frozen in time: uses Kysely<any> and plain SQL, never app code.
 * Constraints do real work here: an impossible row is refused by the database itself.
 * Instants are timestamptz; sitting dates are date; ids are identity integers.
 */
const up_sql = [
  `create table localities (
    code text primary key check (code ~ '^[a-z][a-z0-9-]*$'),
    name text not null check (length(trim(name)) > 0)
  )`,

  `create table needs (
    code text primary key check (code ~ '^[a-z][a-z0-9-]*$'),
    label text not null check (length(trim(label)) > 0),
    category text not null default 'family',
    description text not null default ''
  )`,

  `create table hubs (
    id integer generated always as identity primary key,
    name text not null unique check (length(trim(name)) > 0),
    timezone text not null default 'Europe/London',
    rrule text not null check (rrule ~ '^(RRULE:)?FREQ='),
    first_sitting date not null,
    start_time text not null check (start_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    slot_minutes integer not null default 30 check (slot_minutes between 5 and 240),
    slots_per_sitting integer not null check (slots_per_sitting between 1 and 48),
    break_after_slot integer check (break_after_slot is null or (break_after_slot >= 1 and break_after_slot < slots_per_sitting)),
    break_minutes integer not null default 0 check (break_minutes between 0 and 240),
    holiday_policy text not null default 'skip' check (holiday_policy in ('skip', 'next-working-day')),
    missing_proforma_policy text not null default 'flag' check (missing_proforma_policy in ('defer', 'flag')),
    proforma_deadline_working_days integer not null default 2 check (proforma_deadline_working_days between 0 and 20),
    reminder_cadence integer[] not null default '{5,2,1}' check (0 < all (reminder_cadence)),
    agenda_lead_working_days integer not null default 7 check (agenda_lead_working_days between 1 and 30),
    complex_slots integer not null default 2 check (complex_slots between 1 and 4),
    children_for_complex integer not null default 3 check (children_for_complex >= 2),
    match_weights jsonb,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,

  // A closure with no hub closes every hub (e.g. the council's Christmas shutdown).
  `create table closures (
    id integer generated always as identity primary key,
    hub_id integer references hubs(id) on delete cascade,
    starts_on date not null,
    ends_on date not null,
    reason text not null check (length(trim(reason)) > 0),
    check (ends_on >= starts_on)
  )`,

  // slot_count etc. are copied from the hub when planned, so a later hub change cannot
  // silently reshape a published sitting. (id, slot_count) is a key for agenda_items' check.
  `create table sittings (
    id integer generated always as identity primary key,
    hub_id integer not null references hubs(id) on delete cascade,
    date date not null,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    slot_count integer not null check (slot_count between 1 and 48),
    slot_minutes integer not null check (slot_minutes between 5 and 240),
    break_after_slot integer check (break_after_slot is null or (break_after_slot >= 1 and break_after_slot < slot_count)),
    break_minutes integer not null default 0 check (break_minutes >= 0),
    status text not null default 'planned' check (status in ('planned', 'published', 'held', 'cancelled')),
    moved_from date,
    status_reason text,
    agenda_built_at timestamptz,
    published_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (hub_id, date),
    unique (id, slot_count),
    check (ends_at > starts_at),
    check (status <> 'published' or published_at is not null),
    check (status <> 'cancelled' or status_reason is not null)
  )`,

  `create table schools (
    id integer generated always as identity primary key,
    urn integer not null unique check (urn between 100000 and 999999),
    name text not null check (length(trim(name)) > 0),
    locality text not null references localities(code),
    phase text,
    postcode text,
    safeguarding_lead_emails text[] not null default '{}'
      check (array_position(safeguarding_lead_emails, null) is null),
    created_at timestamptz not null default now()
  )`,

  `create table agencies (
    id integer generated always as identity primary key,
    name text not null unique check (length(trim(name)) > 0),
    kind text not null check (kind in ('family-support', 'school', 'health', 'youth', 'voluntary',
      'education-welfare', 'mental-health', 'housing', 'police', 'other')),
    school_id integer references schools(id),
    specialisms text[] not null default '{}',
    localities text[] not null default '{}',
    city_wide boolean not null default false,
    min_age integer not null default 0 check (min_age between 0 and 25),
    max_age integer not null default 18 check (max_age between 0 and 25),
    capacity integer not null check (capacity >= 0),
    active_cases integer not null default 0 check (active_cases >= 0),
    contact_email text not null check (contact_email like '%_@_%'),
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (min_age <= max_age),
    check (active_cases <= capacity),
    check (kind <> 'school' or school_id is not null),
    check (city_wide or cardinality(localities) > 0)
  )`,

  `create table families (
    id integer generated always as identity primary key,
    reference text not null unique check (reference ~ '^[A-Z0-9-]+$'),
    locality text not null references localities(code),
    created_at timestamptz not null default now()
  )`,

  // Names are optional and never required: the hub works on references.
  `create table children (
    id integer generated always as identity primary key,
    family_id integer not null references families(id) on delete cascade,
    school_id integer references schools(id),
    date_of_birth date not null check (date_of_birth >= date '1995-01-01'),
    given_name text,
    family_name text,
    created_at timestamptz not null default now()
  )`,

  `create table users (
    id integer generated always as identity primary key,
    email text not null check (email = lower(email) and email like '%_@_%'),
    display_name text not null check (length(trim(display_name)) > 0),
    role text not null check (role in ('admin', 'chair', 'coordinator', 'school', 'agency')),
    school_id integer references schools(id),
    agency_id integer references agencies(id),
    active boolean not null default true,
    created_at timestamptz not null default now(),
    unique (email),
    check ((role = 'school') = (school_id is not null)),
    check ((role = 'agency') = (agency_id is not null))
  )`,

  `create table requests (
    id integer generated always as identity primary key,
    reference text not null unique check (reference ~ '^[A-Z0-9-]+$'),
    hub_id integer not null references hubs(id),
    kind text not null check (kind in ('new', 'review')),
    family_id integer not null references families(id),
    school_id integer references schools(id),
    referrer_name text not null check (length(trim(referrer_name)) > 0),
    referrer_email text,
    referrer_organisation text not null,
    received_at timestamptz not null,
    urgency text not null default 'normal' check (urgency in ('high', 'normal', 'low')),
    complex boolean not null default false,
    consent_given boolean not null default false,
    consent_recorded_at timestamptz,
    consent_recorded_by text,
    status text not null default 'open' check (status in ('open', 'on-agenda', 'allocated', 'closed')),
    closed_by_user_id integer references users(id),
    closed_reason text,
    closed_at timestamptz,
    review_due_at timestamptz,
    times_carried_over integer not null default 0 check (times_carried_over >= 0),
    attendance_from text check (attendance_from ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    attendance_to text check (attendance_to ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    external_reference text unique,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (not consent_given or (consent_recorded_at is not null and consent_recorded_by is not null)),
    check (status <> 'closed' or (closed_by_user_id is not null and closed_at is not null and closed_reason is not null)),
    check ((attendance_from is null) = (attendance_to is null) and (attendance_from is null or attendance_from < attendance_to)),
    check (kind <> 'review' or review_due_at is not null)
  )`,

  `create index requests_hub_status on requests (hub_id, status)`,
  `create index requests_family on requests (family_id)`,
  `create index requests_school on requests (school_id)`,

  `create table request_children (
    request_id integer not null references requests(id) on delete cascade,
    child_id integer not null references children(id),
    primary key (request_id, child_id)
  )`,

  `create table request_needs (
    request_id integer not null references requests(id) on delete cascade,
    need_code text not null references needs(code),
    severity integer not null check (severity between 1 and 3),
    primary key (request_id, need_code)
  )`,

  // One agenda item holds one family's requests; (sitting_id, sitting_slot_count) must match the
  // sitting, so the check below refuses a slot beyond the sitting's slot count.
  `create table agenda_items (
    id integer generated always as identity primary key,
    sitting_id integer not null,
    sitting_slot_count integer not null,
    slot integer not null check (slot >= 0),
    slots_used integer not null default 1 check (slots_used between 1 and 4),
    family_id integer references families(id),
    pinned boolean not null default false,
    moved_by_chair boolean not null default false,
    flags text[] not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    foreign key (sitting_id, sitting_slot_count) references sittings(id, slot_count) on update cascade on delete cascade,
    unique (id, sitting_id),
    check (slot + slots_used <= sitting_slot_count)
  )`,

  // No two items of a sitting may overlap: a plain unique cannot express ranges, and btree_gist
  // is not available on PGlite, so a trigger refuses the overlap.
  `create function agenda_items_no_overlap() returns trigger language plpgsql as $$
  begin
    if exists (
      select 1 from agenda_items o
      where o.sitting_id = new.sitting_id and o.id <> new.id
        and o.slot < new.slot + new.slots_used and new.slot < o.slot + o.slots_used
    ) then
      raise exception 'slot % of sitting % is already taken', new.slot, new.sitting_id
        using errcode = '23P01', constraint = 'agenda_items_no_overlap';
    end if;
    return new;
  end $$`,

  `create constraint trigger agenda_items_no_overlap after insert or update on agenda_items
    deferrable initially deferred for each row execute function agenda_items_no_overlap()`,

  `create table agenda_item_requests (
    agenda_item_id integer not null,
    sitting_id integer not null,
    request_id integer not null references requests(id),
    primary key (agenda_item_id, request_id),
    foreign key (agenda_item_id, sitting_id) references agenda_items(id, sitting_id) on delete cascade,
    unique (sitting_id, request_id)
  )`,

  // A request not heard at a sitting is carried over with its reason; never silently dropped.
  `create table agenda_deferrals (
    sitting_id integer not null references sittings(id) on delete cascade,
    request_id integer not null references requests(id),
    reason text not null check (reason in ('no-slot', 'consent-missing', 'proforma-missing', 'chair-deferred')),
    note text,
    created_at timestamptz not null default now(),
    primary key (sitting_id, request_id),
    check (reason <> 'chair-deferred' or length(trim(coalesce(note, ''))) > 0)
  )`,

  `create table proformas (
    id integer generated always as identity primary key,
    request_id integer not null references requests(id),
    sitting_id integer not null references sittings(id),
    status text not null default 'requested' check (status in ('requested', 'draft', 'submitted')),
    answers jsonb not null default '{}',
    token_hash text unique check (token_hash ~ '^[0-9a-f]{64}$'),
    token_expires_at timestamptz,
    deadline_at timestamptz not null,
    submitted_at timestamptz,
    submitted_by text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (request_id, sitting_id),
    check ((token_hash is null) = (token_expires_at is null)),
    check ((status = 'submitted') = (submitted_at is not null))
  )`,

  `create table email_outbox (
    id integer generated always as identity primary key,
    idempotency_key text not null unique,
    template text not null check (template ~ '^[a-z][a-z0-9-]*$'),
    to_address text not null check (to_address like '%_@_%' and position(',' in to_address) = 0),
    params jsonb not null default '{}',
    request_id integer references requests(id),
    proforma_id integer references proformas(id),
    scheduled_for timestamptz not null,
    give_up_at timestamptz,
    state text not null default 'pending' check (state in ('pending', 'sending', 'sent', 'failed', 'uncertain', 'cancelled')),
    attempts integer not null default 0 check (attempts >= 0),
    locked_until timestamptz,
    last_error text,
    message_id text not null unique,
    sent_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (state <> 'sent' or sent_at is not null)
  )`,

  `create index email_outbox_due on email_outbox (scheduled_for) where state in ('pending', 'uncertain')`,

  `create table suggestions (
    id integer generated always as identity primary key,
    sitting_id integer references sittings(id) on delete cascade,
    request_id integer not null references requests(id),
    agency_id integer not null references agencies(id),
    rank integer not null check (rank between 0 and 3),
    score double precision not null check (score >= 0 and score <= 1),
    breakdown jsonb not null,
    computed_at timestamptz not null default now(),
    unique (sitting_id, request_id, rank),
    unique (sitting_id, request_id, agency_id)
  )`,

  `create table allocations (
    id integer generated always as identity primary key,
    request_id integer not null unique references requests(id),
    agency_id integer not null references agencies(id),
    suggestion_id integer references suggestions(id) on delete set null,
    sitting_id integer references sittings(id),
    decided_by_user_id integer not null references users(id),
    decision text not null check (decision in ('accepted', 'overridden')),
    override_reason text,
    decided_at timestamptz not null default now(),
    review_due_on date not null,
    ends_by date not null,
    closed_at timestamptz,
    outcome text,
    check (decision <> 'overridden' or length(trim(coalesce(override_reason, ''))) > 0),
    check (review_due_on < ends_by),
    check ((closed_at is null) = (outcome is null))
  )`,

  `create index allocations_agency on allocations (agency_id) where closed_at is null`,

  `create table audit_log (
    id bigint generated always as identity primary key,
    at timestamptz not null default now(),
    actor text not null check (length(actor) > 0),
    action text not null check (action ~ '^[a-z][a-z0-9.-]*$'),
    entity text not null,
    entity_id text,
    details jsonb not null default '{}'
  )`,

  `create index audit_log_entity on audit_log (entity, entity_id)`,

  // Append-only: the audit log is evidence, so the database refuses edits and deletes.
  `create function audit_log_append_only() returns trigger language plpgsql as $$
  begin
    raise exception 'the audit log is append-only' using errcode = '42501';
  end $$`,

  `create trigger audit_log_append_only before update or delete on audit_log
    for each row execute function audit_log_append_only()`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of up_sql) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'audit_log',
    'allocations',
    'suggestions',
    'email_outbox',
    'proformas',
    'agenda_deferrals',
    'agenda_item_requests',
    'agenda_items',
    'request_needs',
    'request_children',
    'requests',
    'users',
    'children',
    'families',
    'agencies',
    'schools',
    'sittings',
    'closures',
    'hubs',
    'needs',
    'localities',
  ]) {
    await sql.raw(`drop table if exists ${table} cascade`).execute(db);
  }
  await sql`drop function if exists audit_log_append_only()`.execute(db);
  await sql`drop function if exists agenda_items_no_overlap()`.execute(db);
}
