import { type Kysely, sql } from 'kysely';
import type { Database } from '../../schema/database.ts';
import type { Actor } from '../actor.ts';
import type { AgendaView } from '../agenda/agenda.render.ts';
import { loadAgendaView } from '../agenda/agenda.service.ts';
import { type MatchBreakdown, type UnmatchedReason, unmatchedReasonText } from '../domain/matching.ts';
import { AppError } from '../errors.ts';
import { requestScope } from '../requests/request.repository.ts';
import { findUnassignedReasons } from './suggestion.repository.ts';
import { getSittingSuggestions } from './suggestion.service.ts';

/*
 * Read models of the coordinator's allocation queue and the agency's allocations, for the pages and
 * the API. Reads only: every decision goes through src/allocation (accept, override, close,
 * suggestions). Every read of requests or
 * allocations takes the principal and filters by its scope in SQL (an agency sees its own only).
 */

type Db = Kysely<Database>;

export interface QueueSuggestion {
  id: number;
  agencyId: number;
  agencyName: string;
  rank: number;
  /** Exactly as computed (the API carries it); pages round it. */
  score: number;
  /** The breakdown in words, e.g. "needs 1/1 covered (parenting); same locality; ...". */
  text: string;
  /** The domain breakdown as stored (components with value, weight, contribution). */
  breakdown: unknown;
}

export interface QueueRequest {
  requestId: number;
  reference: string;
  schoolName: string | null;
  status: string;
  itemStartsAt: string;
  familyReference: string;
  /** Rank 0, when the batch found a lead. */
  proposal: QueueSuggestion | null;
  alternatives: QueueSuggestion[];
  /** Why the last computation found it no lead (the reason in words too); null otherwise. */
  unassigned: { reason: UnmatchedReason; text: string } | null;
  allocation: { id: number; agencyName: string; decision: string; reviewDueOn: string } | null;
}

export interface QueueProforma {
  id: number;
  requestId: number;
  reference: string;
  schoolName: string | null;
  status: string;
  deadlineAt: Date;
  escalatedAt: Date | null;
}

export interface AllocationQueue {
  view: AgendaView;
  requests: QueueRequest[];
  /** Held back from the agenda because consent is not recorded. */
  heldForConsent: AgendaView['deferred'];
  /** Proformas not submitted for requests on this sitting. */
  missingProformas: QueueProforma[];
  escalated: QueueProforma[];
  /** When suggestions were last computed (null: never), proposals or unassigned reasons alike. */
  computedAt: Date | null;
  agencies: Array<{ id: number; name: string; free: number; capacity: number }>;
}

/** The allocation queue of one sitting. Throws not-found. */
export async function loadAllocationQueue(
  db: Db,
  principal: Actor,
  sittingId: number,
): Promise<AllocationQueue> {
  const { view, requestIdOf } = await loadAgendaView(db, sittingId);
  const onAgenda = view.items.flatMap((item) =>
    item.requests.map((r) => ({ item, r, id: requestIdOf.get(r.reference) as number })),
  );
  const ids = onAgenda.map((x) => x.id);
  const [statuses, allocations, suggestions, unassigned, agencies, proformas] = await Promise.all([
    ids.length === 0
      ? []
      : db
          .selectFrom('requests as r')
          .select(['r.id', 'r.status'])
          .where('r.id', 'in', ids)
          .where(requestScope(principal))
          .execute(),
    ids.length === 0
      ? []
      : db
          .selectFrom('allocations as a')
          .innerJoin('agencies as ag', 'ag.id', 'a.agency_id')
          .innerJoin('requests as r', 'r.id', 'a.request_id')
          .select([
            'a.id',
            'a.request_id',
            'ag.name',
            'a.decision',
            sql<string>`a.review_due_on::text`.as('review_due_on'),
          ])
          .where('a.request_id', 'in', ids)
          .where('a.closed_at', 'is', null)
          .where(requestScope(principal))
          .execute(),
    getSittingSuggestions(db, sittingId),
    findUnassignedReasons(db, sittingId),
    db
      .selectFrom('agencies')
      .select(['id', 'name', 'capacity', 'active_cases'])
      .where('active', '=', true)
      .orderBy('name')
      .execute(),
    db
      .selectFrom('proformas as p')
      .innerJoin('requests as r', 'r.id', 'p.request_id')
      .leftJoin('schools as s', 's.id', 'r.school_id')
      .select([
        'p.id',
        'p.request_id',
        'r.reference',
        's.name as school_name',
        'p.status',
        'p.deadline_at',
        'p.escalated_at',
      ])
      .where('p.sitting_id', '=', sittingId)
      .where('p.status', '<>', 'submitted')
      .where(requestScope(principal))
      .orderBy('r.reference')
      .execute(),
  ]);
  const agencyName = new Map(agencies.map((a) => [a.id, a.name]));
  const statusOf = new Map(statuses.map((s) => [s.id, s.status]));
  const allocationOf = new Map(allocations.map((a) => [a.request_id, a]));
  const suggestionsOf = new Map<number, QueueSuggestion[]>();
  let computedAt: Date | null = null;
  const reasonOf = new Map<number, UnmatchedReason>();
  for (const u of unassigned) {
    if (computedAt === null || u.computedAt > computedAt) computedAt = u.computedAt;
    reasonOf.set(u.requestId, u.reason);
  }
  for (const s of suggestions) {
    if (computedAt === null || s.computedAt > computedAt) computedAt = s.computedAt;
    const list = suggestionsOf.get(s.requestId) ?? [];
    list.push({
      id: s.id,
      agencyId: s.agencyId,
      agencyName: agencyName.get(s.agencyId) ?? `Agency ${s.agencyId} (inactive)`,
      rank: s.rank,
      score: s.score,
      text: breakdownText(s.breakdown),
      breakdown: typeof s.breakdown === 'string' ? JSON.parse(s.breakdown) : s.breakdown,
    });
    suggestionsOf.set(s.requestId, list);
  }
  const requests: QueueRequest[] = onAgenda
    .filter((x) => statusOf.has(x.id))
    .map(({ item, r, id }) => {
      const list = suggestionsOf.get(id) ?? [];
      const a = allocationOf.get(id);
      const reason = reasonOf.get(id);
      return {
        requestId: id,
        reference: r.reference,
        schoolName: r.schoolName,
        status: statusOf.get(id) as string,
        itemStartsAt: item.startsAt,
        familyReference: item.familyReference,
        proposal: list.find((s) => s.rank === 0) ?? null,
        alternatives: list.filter((s) => s.rank > 0).slice(0, 3),
        unassigned: reason === undefined ? null : { reason, text: unmatchedReasonText[reason] },
        allocation: a
          ? { id: a.id, agencyName: a.name, decision: a.decision, reviewDueOn: a.review_due_on }
          : null,
      };
    });
  const asProforma = (p: (typeof proformas)[number]): QueueProforma => ({
    id: p.id,
    requestId: p.request_id,
    reference: p.reference,
    schoolName: p.school_name,
    status: p.status,
    deadlineAt: p.deadline_at,
    escalatedAt: p.escalated_at,
  });
  return {
    view,
    requests,
    heldForConsent: view.deferred.filter((d) => d.reason === 'consent-missing'),
    missingProformas: proformas.map(asProforma),
    escalated: proformas.filter((p) => p.escalated_at !== null).map(asProforma),
    computedAt,
    agencies: agencies.map((a) => ({
      id: a.id,
      name: a.name,
      capacity: a.capacity,
      free: Math.max(0, a.capacity - a.active_cases),
    })),
  };
}

/** The words of a stored breakdown (older rows without text read as their components). */
function breakdownText(breakdown: unknown): string {
  const b = (typeof breakdown === 'string' ? JSON.parse(breakdown) : breakdown) as Partial<MatchBreakdown>;
  return typeof b?.text === 'string' ? b.text : 'no breakdown stored';
}

/** Sittings for the coordinator to pick from: recent and coming ones, soonest first. */
export async function listQueueSittings(db: Db, from: string) {
  return db
    .selectFrom('sittings as s')
    .innerJoin('hubs as h', 'h.id', 's.hub_id')
    .select([
      's.id',
      sql<string>`s.date::text`.as('date'),
      's.status',
      'h.name as hub_name',
      sql<number>`(select count(*)::int from agenda_item_requests air join requests r on r.id = air.request_id where air.sitting_id = s.id and r.status = 'on-agenda')`.as(
        'waiting',
      ),
    ])
    .where('s.date', '>=', from)
    .where('s.status', '<>', 'cancelled')
    .orderBy('s.date')
    .orderBy('s.id')
    .limit(20)
    .execute();
}

export interface AgencyAllocation {
  id: number;
  requestId: number;
  reference: string;
  agencyId: number;
  agencyName: string;
  decision: string;
  decidedAt: Date;
  /** Local calendar days. */
  reviewDueOn: string;
  endsBy: string;
  closedAt: Date | null;
  outcome: string | null;
}

function allocationQuery(db: Db, principal: Actor) {
  let q = db
    .selectFrom('allocations as a')
    .innerJoin('requests as r', 'r.id', 'a.request_id')
    .innerJoin('agencies as ag', 'ag.id', 'a.agency_id')
    .select([
      'a.id',
      'a.request_id as requestId',
      'r.reference',
      'a.agency_id as agencyId',
      'ag.name as agencyName',
      'a.decision',
      'a.decided_at as decidedAt',
      sql<string>`a.review_due_on::text`.as('reviewDueOn'),
      sql<string>`a.ends_by::text`.as('endsBy'),
      'a.closed_at as closedAt',
      'a.outcome',
    ])
    .where(requestScope(principal));
  // An agency's scope is its own allocations, not every allocation of a request it leads.
  if (principal.kind === 'user' && principal.role === 'agency')
    q = q.where('a.agency_id', '=', principal.agencyId ?? -1);
  return q;
}

/** Allocations the principal may see: open first (review due soonest), then closed. */
export async function listAllocations(
  db: Db,
  principal: Actor,
  filter: { agencyId?: number; open?: boolean; limit: number; afterId?: number },
): Promise<AgencyAllocation[]> {
  let q = allocationQuery(db, principal);
  if (filter.agencyId !== undefined) q = q.where('a.agency_id', '=', filter.agencyId);
  if (filter.open !== undefined) q = q.where('a.closed_at', filter.open ? 'is' : 'is not', null);
  if (filter.afterId !== undefined) q = q.where('a.id', '>', filter.afterId);
  return q.orderBy('a.id').limit(filter.limit).execute();
}

/** One allocation within the principal's scope; another agency's is not found. */
export async function getAllocation(db: Db, principal: Actor, id: number): Promise<AgencyAllocation> {
  const row = await allocationQuery(db, principal).where('a.id', '=', id).executeTakeFirst();
  if (!row) throw new AppError('not-found', `Allocation ${id} not found`);
  return row;
}
