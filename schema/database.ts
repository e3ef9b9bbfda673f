// Generated from the migrations by `npm run db:types`; do not edit by hand.
import type { ColumnType, Generated, GeneratedAlways } from 'kysely';

export type Json = unknown;
/** timestamptz: read as Date, written as Date or ISO string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** timestamptz with a default: optional on insert. */
export type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface AgenciesTable {
  id: GeneratedAlways<number>;
  name: string;
  kind: string;
  school_id: number | null;
  specialisms: Generated<string[]>;
  localities: Generated<string[]>;
  city_wide: Generated<boolean>;
  min_age: Generated<number>;
  max_age: Generated<number>;
  capacity: number;
  active_cases: Generated<number>;
  contact_email: string;
  active: Generated<boolean>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface AgendaDeferralsTable {
  sitting_id: number;
  request_id: number;
  reason: string;
  note: string | null;
  created_at: GeneratedTimestamp;
}

export interface AgendaItemRequestsTable {
  agenda_item_id: number;
  sitting_id: number;
  request_id: number;
}

export interface AgendaItemsTable {
  id: GeneratedAlways<number>;
  sitting_id: number;
  sitting_slot_count: number;
  slot: number;
  slots_used: Generated<number>;
  family_id: number | null;
  pinned: Generated<boolean>;
  moved_by_chair: Generated<boolean>;
  flags: Generated<string[]>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface AllocationsTable {
  id: GeneratedAlways<number>;
  request_id: number;
  agency_id: number;
  suggestion_id: number | null;
  sitting_id: number | null;
  decided_by_user_id: number;
  decision: string;
  override_reason: string | null;
  decided_at: GeneratedTimestamp;
  review_due_on: string;
  ends_by: string;
  closed_at: Timestamp | null;
  outcome: string | null;
}

export interface ApiTokensTable {
  id: GeneratedAlways<number>;
  name: string;
  user_id: number;
  token_hash: string;
  created_by: string;
  created_at: GeneratedTimestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface AuditLogTable {
  id: GeneratedAlways<number>;
  at: GeneratedTimestamp;
  actor: string;
  action: string;
  entity: string;
  entity_id: string | null;
  details: Generated<Json>;
}

export interface ChildrenTable {
  id: GeneratedAlways<number>;
  family_id: number;
  school_id: number | null;
  date_of_birth: string;
  given_name: string | null;
  family_name: string | null;
  created_at: GeneratedTimestamp;
}

export interface ClosuresTable {
  id: GeneratedAlways<number>;
  hub_id: number | null;
  starts_on: string;
  ends_on: string;
  reason: string;
}

export interface DueTasksTable {
  id: GeneratedAlways<number>;
  kind: string;
  key: string;
  hub_id: number | null;
  sitting_id: number | null;
  due_at: Timestamp;
  state: Generated<string>;
  attempts: Generated<number>;
  locked_until: Timestamp | null;
  last_error: string | null;
  done_at: Timestamp | null;
  created_at: GeneratedTimestamp;
}

export interface EmailOutboxTable {
  id: GeneratedAlways<number>;
  idempotency_key: string;
  template: string;
  to_address: string;
  params: Generated<Json>;
  request_id: number | null;
  proforma_id: number | null;
  scheduled_for: Timestamp;
  give_up_at: Timestamp | null;
  state: Generated<string>;
  attempts: Generated<number>;
  locked_until: Timestamp | null;
  last_error: string | null;
  message_id: string;
  sent_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  uncertain_sends: Generated<number>;
}

export interface FamiliesTable {
  id: GeneratedAlways<number>;
  reference: string;
  locality: string;
  created_at: GeneratedTimestamp;
}

export interface HubsTable {
  id: GeneratedAlways<number>;
  name: string;
  timezone: Generated<string>;
  rrule: string;
  first_sitting: string;
  start_time: string;
  slot_minutes: Generated<number>;
  slots_per_sitting: number;
  break_after_slot: number | null;
  break_minutes: Generated<number>;
  holiday_policy: Generated<string>;
  missing_proforma_policy: Generated<string>;
  proforma_deadline_working_days: Generated<number>;
  reminder_cadence: Generated<number[]>;
  agenda_lead_working_days: Generated<number>;
  complex_slots: Generated<number>;
  children_for_complex: Generated<number>;
  match_weights: Json | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface IdempotencyKeysTable {
  principal: string;
  key: string;
  request_hash: string;
  response_status: number | null;
  response_body: Json | null;
  created_at: GeneratedTimestamp;
}

export interface LocalitiesTable {
  code: string;
  name: string;
}

export interface NeedsTable {
  code: string;
  label: string;
  category: Generated<string>;
  description: Generated<string>;
}

export interface ProformaLinksTable {
  id: GeneratedAlways<number>;
  proforma_id: number;
  token_hash: string;
  expires_at: Timestamp;
  created_at: GeneratedTimestamp;
}

export interface ProformasTable {
  id: GeneratedAlways<number>;
  request_id: number;
  sitting_id: number;
  status: Generated<string>;
  answers: Generated<Json>;
  deadline_at: Timestamp;
  submitted_at: Timestamp | null;
  submitted_by: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  requested_at: Timestamp | null;
  reminders_sent: Generated<number[]>;
  escalated_at: Timestamp | null;
}

export interface RequestChildrenTable {
  request_id: number;
  child_id: number;
}

export interface RequestNeedsTable {
  request_id: number;
  need_code: string;
  severity: number;
}

export interface RequestsTable {
  id: GeneratedAlways<number>;
  reference: string;
  hub_id: number;
  kind: string;
  family_id: number;
  school_id: number | null;
  referrer_name: string;
  referrer_email: string | null;
  referrer_organisation: string;
  received_at: Timestamp;
  urgency: Generated<string>;
  complex: Generated<boolean>;
  consent_given: Generated<boolean>;
  consent_recorded_at: Timestamp | null;
  consent_recorded_by: string | null;
  status: Generated<string>;
  closed_by_user_id: number | null;
  closed_reason: string | null;
  closed_at: Timestamp | null;
  review_due_at: Timestamp | null;
  times_carried_over: Generated<number>;
  attendance_from: string | null;
  attendance_to: string | null;
  external_reference: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface SchoolsTable {
  id: GeneratedAlways<number>;
  urn: number;
  name: string;
  locality: string;
  phase: string | null;
  postcode: string | null;
  safeguarding_lead_emails: Generated<string[]>;
  created_at: GeneratedTimestamp;
}

export interface SessionsTable {
  id_hash: string;
  user_id: number;
  csrf_secret: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
}

export interface SignInTokensTable {
  token_hash: string;
  user_id: number;
  redirect_to: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface SittingsTable {
  id: GeneratedAlways<number>;
  hub_id: number;
  date: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  slot_count: number;
  slot_minutes: number;
  break_after_slot: number | null;
  break_minutes: Generated<number>;
  status: Generated<string>;
  moved_from: string | null;
  status_reason: string | null;
  agenda_built_at: Timestamp | null;
  published_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface SuggestionsTable {
  id: GeneratedAlways<number>;
  sitting_id: number | null;
  request_id: number;
  agency_id: number;
  rank: number;
  score: number;
  breakdown: Json;
  computed_at: GeneratedTimestamp;
}

export interface UnassignedReasonsTable {
  sitting_id: number;
  request_id: number;
  reason: string;
  computed_at: GeneratedTimestamp;
}

export interface UsersTable {
  id: GeneratedAlways<number>;
  email: string;
  display_name: string;
  role: string;
  school_id: number | null;
  agency_id: number | null;
  active: Generated<boolean>;
  created_at: GeneratedTimestamp;
}

export interface Database {
  agencies: AgenciesTable;
  agenda_deferrals: AgendaDeferralsTable;
  agenda_item_requests: AgendaItemRequestsTable;
  agenda_items: AgendaItemsTable;
  allocations: AllocationsTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  children: ChildrenTable;
  closures: ClosuresTable;
  due_tasks: DueTasksTable;
  email_outbox: EmailOutboxTable;
  families: FamiliesTable;
  hubs: HubsTable;
  idempotency_keys: IdempotencyKeysTable;
  localities: LocalitiesTable;
  needs: NeedsTable;
  proforma_links: ProformaLinksTable;
  proformas: ProformasTable;
  request_children: RequestChildrenTable;
  request_needs: RequestNeedsTable;
  requests: RequestsTable;
  schools: SchoolsTable;
  sessions: SessionsTable;
  sign_in_tokens: SignInTokensTable;
  sittings: SittingsTable;
  suggestions: SuggestionsTable;
  unassigned_reasons: UnassignedReasonsTable;
  users: UsersTable;
}
