import { z } from 'zod';
import { type AllocationQueue, loadAllocationQueue } from '../../allocation/allocation-view.repository.ts';
import { computeSuggestions } from '../../allocation/suggestion.service.ts';
import { unmatchedReasons, unmatchedReasonText } from '../../domain/matching.ts';
import { queueRoles } from '../pages/allocation-queue.pages.ts';
import { apiRoute } from './define.ts';

/*
 * A sitting's suggestions: read the stored proposal (rank 0) and alternatives (ranks 1..3) of each
 * request on its agenda, or propose again from current capacity (the batch proposal of the matching
 * service, stored and audited). Scores are exactly as computed, in [0, 1].
 */

const idParams = z.strictObject({ id: z.coerce.number().int().positive().max(2147483647) });

const suggestion = z.object({
  suggestionId: z.number().int().describe('Pass it to POST /allocations to accept a proposal'),
  agencyId: z.number().int(),
  agencyName: z.string(),
  rank: z.number().int().describe('0 = the proposal, 1..3 = alternatives'),
  score: z.number().describe('Exactly as computed, in [0, 1]'),
  text: z.string().describe('The breakdown in words'),
  breakdown: z
    .unknown()
    .describe('Components (need, locality, continuity, headroom, kindFit) with value, weight, contribution'),
});

const unassignedReason = z.object({
  reason: z
    .enum(unmatchedReasons)
    .describe(
      'The first rule that left no agency: no-agency-covers-need, then age-range, then locality, then no-capacity',
    ),
  text: z.string().describe('The reason in words'),
});

export const suggestionsResponse = z.object({
  sittingId: z.number().int(),
  computedAt: z.string().nullable().describe('When the suggestions were last computed (ISO 8601, UTC)'),
  requests: z.array(
    z.object({
      requestId: z.number().int(),
      reference: z.string(),
      status: z.string().describe('on-agenda = waiting for a lead; allocated; closed'),
      proposal: suggestion.nullable().describe('null when no agency can lead it now'),
      alternatives: z.array(suggestion).max(3),
      unassignedReason: unassignedReason
        .nullable()
        .describe('Why the last computation found it no lead, as stored then; null otherwise'),
      allocation: z
        .object({ allocationId: z.number().int(), agencyName: z.string(), decision: z.string() })
        .nullable(),
    }),
  ),
});

const proposeResponse = suggestionsResponse.extend({
  totalScore: z.number().describe('Sum of the proposals’ scores, exactly as computed'),
  unassigned: z.array(unassignedReason.extend({ requestId: z.number().int() })),
});

function suggestionsJson(sittingId: number, q: AllocationQueue): z.input<typeof suggestionsResponse> {
  const s = (x: AllocationQueue['requests'][number]['alternatives'][number]) => ({
    suggestionId: x.id,
    agencyId: x.agencyId,
    agencyName: x.agencyName,
    rank: x.rank,
    score: x.score,
    text: x.text,
    breakdown: x.breakdown,
  });
  return {
    sittingId,
    computedAt: q.computedAt?.toISOString() ?? null,
    requests: q.requests.map((r) => ({
      requestId: r.requestId,
      reference: r.reference,
      status: r.status,
      proposal: r.proposal ? s(r.proposal) : null,
      alternatives: r.alternatives.map(s),
      unassignedReason: r.unassigned,
      allocation: r.allocation
        ? {
            allocationId: r.allocation.id,
            agencyName: r.allocation.agencyName,
            decision: r.allocation.decision,
          }
        : null,
    })),
  };
}

export const suggestionRoutes = [
  apiRoute({
    method: 'GET',
    path: '/sittings/:id/suggestions',
    operationId: 'getSittingSuggestions',
    summary: "A sitting's proposed lead agencies",
    description: 'Each request on the agenda with its stored proposal and up to three alternatives.',
    tag: 'allocations',
    roles: queueRoles,
    params: idParams,
    response: suggestionsResponse,
    responseDescription: 'The stored suggestions',
    errors: ['not-found'],
    handler: async ({ db, principal, params }) => ({
      body: suggestionsJson(params.id, await loadAllocationQueue(db, principal, params.id)),
    }),
  }),
  apiRoute({
    method: 'POST',
    path: '/sittings/:id/suggestions',
    operationId: 'proposeAgain',
    summary: 'Propose lead agencies again',
    description:
      'Works out one lead per waiting request from current capacity (the whole batch at once) and ' +
      'replaces the stored suggestions. Unassigned requests come with the reason that blocked them.',
    tag: 'allocations',
    roles: queueRoles,
    params: idParams,
    response: proposeResponse,
    responseDescription: 'The new suggestions',
    errors: ['not-found', 'conflict'],
    handler: async ({ db, principal, params, now }) => {
      const computed = await computeSuggestions(db, params.id, { now: now(), actor: principal });
      const queue = await loadAllocationQueue(db, principal, params.id);
      return {
        body: {
          ...suggestionsJson(params.id, queue),
          totalScore: computed.proposal.totalScore,
          unassigned: computed.proposal.unassigned.map((u) => ({
            requestId: Number(u.requestId),
            reason: u.reason,
            text: unmatchedReasonText[u.reason],
          })),
        },
      };
    },
  }),
];
