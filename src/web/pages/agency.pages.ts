import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { getAgencyView } from '../../admin/directory-admin.repository.ts';
import { updateAgencyById } from '../../admin/directory-admin.service.ts';
import {
  type AllocationOutcome,
  allocationOutcomes,
  closeAllocation,
} from '../../allocation/allocation.service.ts';
import {
  type AgencyAllocation,
  getAllocation,
  listAllocations,
} from '../../allocation/allocation-view.repository.ts';
import { AppError, isAppError } from '../../errors.ts';
import type { Principal } from '../context.ts';
import { idParam } from '../params.ts';
import { formErrors, renderPage } from '../render.ts';

/*
 * The agency's pages: its allocations with the review due date and the 12-month mark (after which
 * the case should be questioned), closing a case with an outcome (the allocation service frees the
 * place), and its capacity: the number of places it can take. Active cases are kept by allocations
 * (taken on allocation, freed on closing), so the agency changes its places; places below the active
 * cases are refused by the database and shown on the field. Another agency's allocation is not found.
 */

const agencyOnly: readonly Principal['role'][] = ['agency'];

export const outcomeLabels: Record<AllocationOutcome, string> = {
  'outcomes-met': 'Outcomes met: the plan is complete',
  'stepped-up': 'Stepped up to children’s social care',
  'stepped-down': 'Stepped down to universal services',
  transferred: 'Transferred to another lead agency',
  'family-moved': 'The family moved away',
  'family-disengaged': 'The family stopped taking part',
  other: 'Other',
};

const closeForm = z.object({
  outcome: z.enum(allocationOutcomes, { error: 'Choose the outcome of the case' }),
});
const capacityForm = z.object({
  places: z
    .string({ error: 'Enter the number of places' })
    .trim()
    .min(1, 'Enter the number of places')
    .regex(/^\d+$/, 'Places must be a whole number, like 12')
    .refine((v) => Number(v) <= 10000, 'Places must be 10,000 or fewer'),
});

function body(request: FastifyRequest): Record<string, unknown> {
  return typeof request.body === 'object' && request.body !== null
    ? (request.body as Record<string, unknown>)
    : {};
}

/** The principal's agency id; an agency user without one has nothing to see. */
function ownAgency(principal: Principal): number {
  if (principal.role !== 'agency' || principal.agencyId === null)
    throw new AppError('not-found', 'No agency is linked to this account');
  return principal.agencyId;
}

function allocationRow(a: AgencyAllocation, today: string) {
  return {
    ...a,
    reviewOverdue: a.closedAt === null && a.reviewDueOn < today,
    pastTwelveMonths: a.closedAt === null && a.endsBy < today,
    outcomeText: a.outcome ? (outcomeLabels[a.outcome as AllocationOutcome] ?? a.outcome) : null,
  };
}

const doneText: Record<string, string> = {
  closed: 'The case has been closed and its place freed.',
  capacity: 'Your places have been updated.',
};

async function showCapacity(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { errors?: ReturnType<typeof formErrors>; values?: Record<string, string>; status?: number } = {},
) {
  const agency = await getAgencyView(request.server.deps.db, ownAgency(request.principal as Principal));
  if (!agency) throw new AppError('not-found', 'Your agency was not found');
  return renderPage(
    request,
    reply,
    'agency-capacity.njk',
    {
      title: 'Your places',
      agency,
      values: options.values ?? { places: String(agency.capacity) },
      errorList: options.errors?.errorList ?? [],
      fieldErrors: options.errors?.fieldErrors ?? {},
    },
    options.status ?? 200,
  );
}

async function showAllocation(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { errors?: ReturnType<typeof formErrors>; values?: Record<string, string>; status?: number } = {},
) {
  const { db, now, config } = request.server.deps;
  const principal = request.principal as Principal;
  ownAgency(principal);
  const allocation = await getAllocation(db, principal, idParam(request.params));
  const today = DateTime.fromJSDate(now(), { zone: config.timezone }).toISODate() as string;
  const values = options.values ?? {};
  return renderPage(
    request,
    reply,
    'agency-allocation.njk',
    {
      title: `Case ${allocation.reference}`,
      a: allocationRow(allocation, today),
      outcomeItems: allocationOutcomes.map((o) => ({
        value: o,
        text: outcomeLabels[o],
        checked: values.outcome === o,
      })),
      errorList: options.errors?.errorList ?? [],
      fieldErrors: options.errors?.fieldErrors ?? {},
    },
    options.status ?? 200,
  );
}

/** Registers the agency's pages (its allocations, closing a case, its places). */
export function registerAgencyPages(app: FastifyInstance): void {
  const { db } = app.deps;
  const access = { config: { access: agencyOnly } };

  app.get('/agency', access, async (request, reply) => {
    const principal = request.principal as Principal;
    const agencyId = ownAgency(principal);
    const today = DateTime.fromJSDate(app.deps.now(), {
      zone: app.deps.config.timezone,
    }).toISODate() as string;
    const [agency, open, closed] = await Promise.all([
      getAgencyView(db, agencyId),
      listAllocations(db, principal, { open: true, limit: 500 }),
      listAllocations(db, principal, { open: false, limit: 500 }),
    ]);
    if (!agency) throw new AppError('not-found', 'Your agency was not found');
    const query = (request.query ?? {}) as Record<string, unknown>;
    const byReview = (a: AgencyAllocation, b: AgencyAllocation) =>
      a.reviewDueOn < b.reviewDueOn ? -1 : a.reviewDueOn > b.reviewDueOn ? 1 : a.id - b.id;
    return renderPage(request, reply, 'agency.njk', {
      title: agency.name,
      agency,
      free: Math.max(0, agency.capacity - agency.activeCases),
      open: [...open].sort(byReview).map((a) => allocationRow(a, today)),
      closed: [...closed]
        .sort((a, b) => (b.closedAt?.getTime() ?? 0) - (a.closedAt?.getTime() ?? 0))
        .slice(0, 20)
        .map((a) => allocationRow(a, today)),
      success: typeof query.done === 'string' ? (doneText[query.done] ?? null) : null,
    });
  });

  app.get('/agency/allocations/:id', access, (request, reply) => showAllocation(request, reply));

  app.post('/agency/allocations/:id/close', access, async (request, reply) => {
    const principal = request.principal as Principal;
    ownAgency(principal);
    const id = idParam(request.params);
    // Another agency's case is not found before anything is validated.
    await getAllocation(db, principal, id);
    const b = body(request);
    const values = { outcome: typeof b.outcome === 'string' ? b.outcome : '' };
    const parsed = closeForm.safeParse(b);
    if (!parsed.success)
      return showAllocation(request, reply, {
        errors: formErrors([{ field: 'outcome', message: 'Choose the outcome of the case' }]),
        values,
        status: 422,
      });
    try {
      await closeAllocation(
        db,
        { allocationId: id, outcome: parsed.data.outcome },
        { now: app.deps.now(), actor: principal },
      );
    } catch (error) {
      if (!isAppError(error) || (error.code !== 'conflict' && error.code !== 'invalid-input')) throw error;
      return showAllocation(request, reply, {
        errors: formErrors([{ field: 'outcome', message: error.message }]),
        values,
        status: error.code === 'conflict' ? 409 : 422,
      });
    }
    return reply.redirect('/agency?done=closed', 303);
  });

  app.get('/agency/capacity', access, (request, reply) => showCapacity(request, reply));

  app.post('/agency/capacity', access, async (request, reply) => {
    const principal = request.principal as Principal;
    const agencyId = ownAgency(principal);
    const b = body(request);
    const values = { places: typeof b.places === 'string' ? b.places : '' };
    const refuse = (message: string) =>
      showCapacity(request, reply, {
        errors: formErrors([{ field: 'places', message }]),
        values,
        status: 422,
      });
    const parsed = capacityForm.safeParse(b);
    if (!parsed.success) return refuse(parsed.error.issues[0]!.message);
    try {
      await updateAgencyById(
        db,
        principal,
        agencyId,
        { Capacity: Number(parsed.data.places) },
        undefined,
        'merge',
      );
    } catch (error) {
      if (!isAppError(error) || error.code !== 'invalid-input') throw error;
      const agency = await getAgencyView(db, agencyId);
      const capacityIssue = error.issues.find((i) => i.field === 'Capacity');
      return refuse(
        capacityIssue
          ? `Places cannot be fewer than your ${agency?.activeCases ?? 0} active cases: close a case first`
          : error.message,
      );
    }
    return reply.redirect('/agency?done=capacity', 303);
  });
}
