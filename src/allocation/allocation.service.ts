import type { Kysely, Transaction } from 'kysely';
import { DateTime } from 'luxon';
import type { Database } from '../../schema/database.ts';
import type { Actor, Role } from '../actor.ts';
import { writeAudit } from '../audit/audit.repository.ts';
import { allocationDates } from '../domain/matching.ts';
import { AppError } from '../errors.ts';
import * as repo from './allocation.repository.ts';
import * as suggestions from './suggestion.repository.ts';

/*
 * Load -> domain -> persist + audit, one transaction per call.
 *
 * - computeSuggestions (suggestion.service.ts): the batch proposal for a sitting's agenda requests
 *   still without a lead, stored as suggestions (rank 0 = proposal, 1..3 = alternatives).
 * - acceptSuggestion (a rank-0 proposal) / overrideAllocation (any agency, with a reason): the
 *   allocation row, the agency's place, the request's status and the audit entry together.
 *   Two decisions taking the last place at one agency cannot both succeed: the place is taken by a
 *   conditional update (`active_cases < capacity`), which PostgreSQL re-checks on the row after a
 *   concurrent commit; the loser gets AppError('conflict') and nothing of its decision is written.
 *   Locks are always taken request first, then agency, so decisions cannot deadlock.
 * - closeAllocation: the case closes with an outcome, the agency's place is released.
 */

export interface AllocationContext {
  now: Date;
  actor: Actor;
}

type Db = Kysely<Database>;

const deciders: Role[] = ['admin', 'chair', 'coordinator'];

/** The deciding user's id; throws forbidden for anyone else. */
export function decider(actor: Actor): number {
  if (actor.kind !== 'user' || !deciders.includes(actor.role)) {
    throw new AppError('forbidden', 'Only a coordinator, the chair or an admin decides allocations');
  }
  return actor.userId;
}

export interface AllocationDecision {
  allocationId: number;
  requestId: number;
  agencyId: number;
  decision: 'accepted' | 'overridden';
  /** Local calendar days of the hub. */
  reviewDueOn: string;
  endsBy: string;
}

/**
 * Accepts a proposal (a rank-0 suggestion). Choosing an alternative or any other agency is an
 * override and needs a reason: use overrideAllocation. Throws not-found, invalid-input (not a
 * proposal), conflict (request already allocated, or no free place left), forbidden.
 */
export async function acceptSuggestion(
  db: Db,
  suggestionId: number,
  ctx: AllocationContext,
): Promise<AllocationDecision> {
  const userId = decider(ctx.actor);
  return decide(db, async (trx) => {
    const s = await suggestions.findSuggestion(trx, suggestionId);
    if (!s) throw new AppError('not-found', `Suggestion ${suggestionId} not found`);
    if (s.rank !== 0) {
      const message = `suggestion ${suggestionId} is alternative ${s.rank}, not the proposal: choose it as an override with a reason`;
      throw new AppError('invalid-input', message, { issues: [{ field: 'suggestionId', message }] });
    }
    return allocate(
      trx,
      {
        requestId: s.requestId,
        agencyId: s.agencyId,
        suggestionId: s.id,
        sittingId: s.sittingId,
        reason: null,
      },
      userId,
      ctx,
    );
  });
}

export interface OverrideInput {
  requestId: number;
  agencyId: number;
  /** Why another agency than the proposal: required. */
  reason: string;
  /** The sitting that heard the request, when there is one (links the suggestion if the agency had one). */
  sittingId?: number | null;
}

/**
 * Allocates the request to an agency the coordinator chose, with a reason (required, recorded on
 * the allocation; the audit entry says an override happened without copying free text). Choosing
 * the proposal itself records an acceptance. Throws invalid-input (no reason), not-found,
 * conflict, forbidden.
 */
export async function overrideAllocation(
  db: Db,
  input: OverrideInput,
  ctx: AllocationContext,
): Promise<AllocationDecision> {
  const userId = decider(ctx.actor);
  const reason = input.reason.trim();
  if (reason.length === 0) {
    const message = 'give the reason for choosing another agency than the proposal';
    throw new AppError('invalid-input', `reason: ${message}`, { issues: [{ field: 'reason', message }] });
  }
  const sittingId = input.sittingId ?? null;
  return decide(db, async (trx) => {
    const s =
      sittingId === null
        ? null
        : await suggestions.findSuggestionFor(trx, sittingId, input.requestId, input.agencyId);
    const proposal = s !== null && s.rank === 0;
    return allocate(
      trx,
      {
        requestId: input.requestId,
        agencyId: input.agencyId,
        suggestionId: s?.id ?? null,
        sittingId,
        reason: proposal ? null : reason,
      },
      userId,
      ctx,
    );
  });
}

interface Decision {
  requestId: number;
  agencyId: number;
  suggestionId: number | null;
  sittingId: number | null;
  /** null for an acceptance. */
  reason: string | null;
}

async function allocate(
  trx: Transaction<Database>,
  d: Decision,
  userId: number,
  { now, actor }: AllocationContext,
): Promise<AllocationDecision> {
  const request = await repo.lockRequest(trx, d.requestId);
  if (!request) throw new AppError('not-found', `Request ${d.requestId} not found`);
  if (request.status === 'allocated' || request.status === 'closed') {
    throw new AppError(
      'conflict',
      `Request ${d.requestId} already has a lead agency (status ${request.status})`,
    );
  }
  if (!(await repo.takePlace(trx, d.agencyId))) {
    const agency = await repo.findAgency(trx, d.agencyId);
    if (!agency) throw new AppError('not-found', `Agency ${d.agencyId} not found`);
    if (!agency.active) throw new AppError('conflict', `Agency ${d.agencyId} is not taking cases (inactive)`);
    throw new AppError(
      'conflict',
      `Agency ${d.agencyId} has no free place left (${agency.activeCases} of ${agency.capacity} taken): choose another agency`,
    );
  }
  const decidedOn = DateTime.fromJSDate(now, { zone: request.timezone }).toISODate() as string;
  const { reviewDueOn, endsBy } = allocationDates(decidedOn);
  const decision = d.reason === null ? 'accepted' : 'overridden';
  const allocationId = await repo.insertAllocation(trx, {
    requestId: d.requestId,
    agencyId: d.agencyId,
    suggestionId: d.suggestionId,
    sittingId: d.sittingId,
    decidedByUserId: userId,
    decision,
    overrideReason: d.reason,
    decidedAt: now,
    reviewDueOn,
    endsBy,
  });
  await repo.setRequestStatus(trx, d.requestId, 'allocated', now);
  await writeAudit(trx, actor, {
    action: `allocation.${decision}`,
    entity: 'allocation',
    entityId: allocationId,
    details: {
      requestId: d.requestId,
      agencyId: d.agencyId,
      suggestionId: d.suggestionId,
      sittingId: d.sittingId,
      reviewDueOn,
      endsBy,
    },
  });
  return { allocationId, requestId: d.requestId, agencyId: d.agencyId, decision, reviewDueOn, endsBy };
}

/** Runs a decision in a transaction; a write the database refuses (unique, check) is a conflict. */
async function decide<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  try {
    return await db.transaction().execute(work);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === '23505' || code === '23514') {
      throw new AppError(
        'conflict',
        'Someone else decided this allocation at the same time: reload and try again',
        { cause: error },
      );
    }
    throw error;
  }
}

/** Why a case closed (codes only: safe for the audit log). */
export const allocationOutcomes = [
  'outcomes-met',
  'stepped-up', // to statutory social care
  'stepped-down', // to universal services
  'transferred',
  'family-moved',
  'family-disengaged',
  'other',
] as const;
export type AllocationOutcome = (typeof allocationOutcomes)[number];

/**
 * Closes a case: the allocation gets its outcome and closing time, the agency's place is released,
 * the request is closed. An agency user may close only its own agency's cases (others are not
 * found); coordinators, the chair and admins any. Throws invalid-input (unknown outcome),
 * not-found, conflict (already closed), forbidden.
 */
export async function closeAllocation(
  db: Db,
  input: { allocationId: number; outcome: string },
  { now, actor }: AllocationContext,
): Promise<{ allocationId: number; agencyId: number; outcome: AllocationOutcome }> {
  if (actor.kind !== 'user' || !['admin', 'chair', 'coordinator', 'agency'].includes(actor.role)) {
    throw new AppError('forbidden', 'Only the agency, a coordinator, the chair or an admin closes a case');
  }
  const outcome = allocationOutcomes.find((o) => o === input.outcome);
  if (outcome === undefined) {
    const message = `must be one of ${allocationOutcomes.join(', ')}`;
    throw new AppError('invalid-input', `outcome: ${message}`, { issues: [{ field: 'outcome', message }] });
  }
  return db.transaction().execute(async (trx) => {
    const allocation = await repo.findAllocation(trx, input.allocationId);
    if (!allocation || (actor.role === 'agency' && actor.agencyId !== allocation.agencyId)) {
      throw new AppError('not-found', `Allocation ${input.allocationId} not found`);
    }
    await repo.lockRequest(trx, allocation.requestId);
    if (!(await repo.closeAllocationRow(trx, allocation.id, now, outcome))) {
      throw new AppError('conflict', `Allocation ${allocation.id} is already closed`);
    }
    await repo.releasePlace(trx, allocation.agencyId);
    await repo.closeRequest(trx, allocation.requestId, {
      byUserId: actor.userId,
      at: now,
      reason: `case closed: ${outcome}`,
    });
    await writeAudit(trx, actor, {
      action: 'allocation.closed',
      entity: 'allocation',
      entityId: allocation.id,
      details: { requestId: allocation.requestId, agencyId: allocation.agencyId, outcome },
    });
    return { allocationId: allocation.id, agencyId: allocation.agencyId, outcome };
  });
}
