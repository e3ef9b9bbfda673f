import { z } from 'zod';
import { getAgencyView } from '../../admin/directory-admin.repository.ts';
import { updateAgencyById } from '../../admin/directory-admin.service.ts';
import {
  acceptSuggestion,
  allocationOutcomes,
  closeAllocation,
  overrideAllocation,
} from '../../allocation/allocation.service.ts';
import { getAllocation, listAllocations } from '../../allocation/allocation-view.repository.ts';
import { findSuggestion } from '../../allocation/suggestion.repository.ts';
import { AppError, isAppError } from '../../errors.ts';
import { queueRoles } from '../pages/allocation-queue.pages.ts';
import { apiRoute } from './define.ts';

/*
 * Allocations: accept a proposal or override it with a reason (the allocation service decides, takes
 * the agency's place and audits in one transaction; the last place taken by someone else is a 409),
 * list them (an agency sees its own only), close a case with an outcome (frees the place), and an
 * agency's places (its own, or an admin's). Review dates are the hub's local calendar days.
 */

const id = z.coerce.number().int().positive().max(2147483647);
const idParams = z.strictObject({ id });

const decisionBody = z.strictObject({
  requestId: z.number().int().positive(),
  agencyId: z.number().int().positive(),
  suggestionId: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('The proposal (rank 0) being accepted; omit it to override'),
  reason: z
    .string()
    .trim()
    .max(1000)
    .optional()
    .describe('Required to override: why another agency than the proposal should lead'),
  sittingId: z.number().int().positive().optional().describe('The sitting that heard the request'),
});

const decisionResponse = z.object({
  allocationId: z.number().int(),
  requestId: z.number().int(),
  agencyId: z.number().int(),
  decision: z.enum(['accepted', 'overridden']),
  reviewDueOn: z.string().describe('Local date YYYY-MM-DD, 3 months after the decision'),
  endsBy: z.string().describe('Local date YYYY-MM-DD: the 12-month mark after which the case is questioned'),
});

const allocation = z.object({
  id: z.number().int(),
  requestId: z.number().int(),
  reference: z.string(),
  agencyId: z.number().int(),
  agencyName: z.string(),
  decision: z.string(),
  decidedAt: z.string(),
  reviewDueOn: z.string(),
  endsBy: z.string(),
  closedAt: z.string().nullable(),
  outcome: z.string().nullable(),
});

const listQuery = z.strictObject({
  agencyId: id.optional(),
  open: z.enum(['true', 'false']).optional().describe('true: open cases only; false: closed only'),
  cursor: z
    .string()
    .regex(/^\d{1,10}$/, 'must be a nextCursor from a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const capacityResponse = z.object({
  agencyId: z.number().int(),
  places: z.number().int(),
  activeCases: z.number().int(),
  free: z.number().int(),
});

async function capacityOf(db: Parameters<typeof getAgencyView>[0], agencyId: number) {
  const agency = await getAgencyView(db, agencyId);
  if (!agency) throw new AppError('not-found', `There is no agency ${agencyId}.`);
  return {
    agencyId,
    places: agency.capacity,
    activeCases: agency.activeCases,
    free: Math.max(0, agency.capacity - agency.activeCases),
  };
}

export const allocationRoutes = [
  apiRoute({
    method: 'POST',
    path: '/allocations',
    operationId: 'decideAllocation',
    summary: 'Accept a proposal, or choose another agency with a reason',
    description:
      'With `suggestionId` (and no reason): accepts that proposal. With `reason`: allocates the request ' +
      'to `agencyId` as an override. 409 when the request already has a lead or the agency has no free place left.',
    tag: 'allocations',
    roles: queueRoles,
    body: decisionBody,
    status: 201,
    response: decisionResponse,
    responseDescription: 'The allocation made',
    errors: ['not-found', 'conflict'],
    handler: async ({ db, principal, body, now }) => {
      const ctx = { now: now(), actor: principal };
      const reason = body.reason ?? '';
      if (reason.length > 0) {
        const decided = await overrideAllocation(
          db,
          { requestId: body.requestId, agencyId: body.agencyId, reason, sittingId: body.sittingId ?? null },
          ctx,
        );
        return { status: 201, body: decided };
      }
      if (body.suggestionId === undefined) {
        const message =
          'give the reason for choosing another agency, or the suggestionId of the proposal to accept';
        throw new AppError('invalid-input', `reason: ${message}`, { issues: [{ field: 'reason', message }] });
      }
      const s = await findSuggestion(db, body.suggestionId);
      if (s && (s.requestId !== body.requestId || s.agencyId !== body.agencyId)) {
        const message = `suggestion ${s.id} proposes agency ${s.agencyId} for request ${s.requestId}`;
        throw new AppError('invalid-input', `suggestionId: ${message}`, {
          issues: [{ field: 'suggestionId', message }],
        });
      }
      return { status: 201, body: await acceptSuggestion(db, body.suggestionId, ctx) };
    },
  }),
  apiRoute({
    method: 'GET',
    path: '/allocations',
    operationId: 'listAllocations',
    summary: 'Allocations',
    description: 'An agency sees its own allocations only. Oldest first; pass `nextCursor` back as `cursor`.',
    tag: 'allocations',
    roles: ['admin', 'chair', 'coordinator', 'agency'],
    query: listQuery,
    response: z.object({ items: z.array(allocation), nextCursor: z.string().nullable() }),
    responseDescription: 'One page of allocations',
    handler: async ({ db, principal, query }) => {
      const rows = await listAllocations(db, principal, {
        agencyId: query.agencyId,
        open: query.open === undefined ? undefined : query.open === 'true',
        afterId: query.cursor === undefined ? undefined : Number(query.cursor),
        limit: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      return {
        body: {
          items: page.map((a) => ({
            ...a,
            decidedAt: a.decidedAt.toISOString(),
            closedAt: a.closedAt?.toISOString() ?? null,
          })),
          nextCursor: rows.length > query.limit ? String(page.at(-1)?.id) : null,
        },
      };
    },
  }),
  apiRoute({
    method: 'POST',
    path: '/allocations/:id/close',
    operationId: 'closeAllocation',
    summary: 'Close a case with an outcome',
    description: "Frees the agency's place. An agency closes its own cases only (another's is not found).",
    tag: 'allocations',
    roles: ['admin', 'chair', 'coordinator', 'agency'],
    params: idParams,
    body: z.strictObject({ outcome: z.enum(allocationOutcomes) }),
    response: z.object({ allocationId: z.number().int(), agencyId: z.number().int(), outcome: z.string() }),
    responseDescription: 'The case as closed',
    errors: ['not-found', 'conflict'],
    handler: async ({ db, principal, params, body, now }) => {
      await getAllocation(db, principal, params.id);
      return {
        body: await closeAllocation(
          db,
          { allocationId: params.id, outcome: body.outcome },
          { now: now(), actor: principal },
        ),
      };
    },
  }),
  apiRoute({
    method: 'PATCH',
    path: '/agencies/:id/capacity',
    operationId: 'updateAgencyCapacity',
    summary: "An agency's places",
    description:
      'An agency changes its own places (an admin any agency). Active cases are kept by allocations; ' +
      'places below them are refused (422 naming `places`).',
    tag: 'allocations',
    roles: ['admin', 'agency'],
    params: idParams,
    body: z.strictObject({ places: z.number().int().min(0).max(10000) }),
    response: capacityResponse,
    responseDescription: "The agency's places as stored",
    errors: ['not-found'],
    handler: async ({ db, principal, params, body }) => {
      if (principal.role === 'agency' && principal.agencyId !== params.id)
        throw new AppError('not-found', `There is no agency ${params.id}.`);
      try {
        await updateAgencyById(db, principal, params.id, { Capacity: body.places }, undefined, 'merge');
      } catch (error) {
        const issue = isAppError(error) ? error.issues.find((i) => i.field === 'Capacity') : undefined;
        if (!issue) throw error;
        const { activeCases } = await capacityOf(db, params.id);
        const message = `must be at least the ${activeCases} active cases`;
        throw new AppError('invalid-input', `places: ${message}`, { issues: [{ field: 'places', message }] });
      }
      return { body: await capacityOf(db, params.id) };
    },
  }),
];
