import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { acceptSuggestion, overrideAllocation } from '../../allocation/allocation.service.ts';
import {
  type AllocationQueue,
  listQueueSittings,
  loadAllocationQueue,
} from '../../allocation/allocation-view.repository.ts';
import { computeSuggestions } from '../../allocation/suggestion.service.ts';
import { AppError, type FieldIssue, isAppError } from '../../errors.ts';
import type { Principal } from '../context.ts';
import { idParam } from '../params.ts';
import { formErrors, renderPage } from '../render.ts';
import { registerAgencyPages } from './agency.pages.ts';
import { registerResendPage } from './allocation-resend.pages.ts';

/*
 * The coordinator's allocation queue for a sitting: each request on the agenda with its proposed
 * lead agency, the score breakdown in words and up to three alternatives; accept (one button) or
 * override (another agency with a required reason); "propose again" after capacities change;
 * requests held back for consent; proformas missing with "send again"; escalations. Every decision
 * is the allocation service's (rules, the last-place race, audit); a refusal is shown in the error
 * summary with nothing saved. Works without JavaScript.
 */

/** Who works the queue. */
export const queueRoles: readonly Principal['role'][] = ['admin', 'coordinator'];

const idField = (message: string) =>
  z
    .string({ error: message })
    .trim()
    .regex(/^[1-9]\d{0,9}$/, message);

const acceptForm = z.object({ suggestionId: idField('Choose the proposal to accept') });
const overrideForm = z.object({
  agencyId: idField('Choose the agency that should lead'),
  reason: z
    .string({ error: 'Say why another agency should lead' })
    .trim()
    .min(1, 'Say why another agency should lead')
    .max(1000, 'The reason must be 1000 characters or fewer'),
});

const doneText: Record<string, (ref: string) => string> = {
  accepted: (ref) => `The proposal for ${ref} has been accepted.`,
  overridden: (ref) => `${ref} has been allocated to the agency you chose.`,
  proposed: () => 'The proposals have been worked out again from current capacity.',
  resent: (ref) => `The proforma request for ${ref} has been sent again.`,
};

const pct = (score: number) => `${Math.round(score * 100)}%`;

function body(request: FastifyRequest): Record<string, unknown> {
  return typeof request.body === 'object' && request.body !== null
    ? (request.body as Record<string, unknown>)
    : {};
}

function queueContext(q: AllocationQueue) {
  const zone = q.view.timezone;
  const time = (iso: string) => DateTime.fromISO(iso, { setZone: true }).setZone(zone).toFormat('HH:mm');
  return {
    dateText: DateTime.fromISO(q.view.date).toFormat('cccc d LLLL yyyy'),
    hubName: q.view.hubName,
    rows: q.requests.map((r) => ({
      ...r,
      time: time(r.itemStartsAt),
      proposal: r.proposal ? { ...r.proposal, percent: pct(r.proposal.score) } : null,
      alternatives: r.alternatives.map((a) => ({ ...a, percent: pct(a.score) })),
    })),
    waiting: q.requests.filter((r) => r.status === 'on-agenda').length,
    heldForConsent: q.heldForConsent,
    missingProformas: q.missingProformas,
    escalated: q.escalated,
    computedAt: q.computedAt,
  };
}

/** Renders the queue, with refusals in the error summary when given. */
async function showQueue(
  request: FastifyRequest,
  reply: FastifyReply,
  sittingId: number,
  options: { errors?: ReturnType<typeof formErrors>; status?: number } = {},
) {
  const { db } = request.server.deps;
  const queue = await loadAllocationQueue(db, request.principal as Principal, sittingId);
  const query = (request.query ?? {}) as Record<string, unknown>;
  const done = typeof query.done === 'string' ? doneText[query.done] : undefined;
  const ref = typeof query.ref === 'string' ? query.ref.slice(0, 40) : '';
  const ctx = queueContext(queue);
  return renderPage(
    request,
    reply,
    'allocation-queue.njk',
    {
      title: `Allocations for ${ctx.dateText}`,
      sittingId,
      ...ctx,
      success: options.errors ? null : (done?.(ref) ?? null),
      errorList: options.errors?.errorList ?? [],
      fieldErrors: options.errors?.fieldErrors ?? {},
    },
    options.status ?? 200,
  );
}

/** A refused decision on the queue page: conflict 409, invalid input 422; anything else is thrown. */
function refuseOnQueue(
  request: FastifyRequest,
  reply: FastifyReply,
  sittingId: number,
  error: unknown,
  href: string,
) {
  if (!isAppError(error) || (error.code !== 'conflict' && error.code !== 'invalid-input')) throw error;
  return showQueue(request, reply, sittingId, {
    errors: { errorList: [{ text: error.message, href }], fieldErrors: {} },
    status: error.code === 'conflict' ? 409 : 422,
  });
}

/** The override form of one request (its proposal and alternatives shown beside the choice). */
async function showOverride(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { errors?: ReturnType<typeof formErrors>; values?: Record<string, string>; status?: number } = {},
) {
  const { db } = request.server.deps;
  const sittingId = idParam(request.params);
  const requestId = idParam(request.params, 'requestId');
  const queue = await loadAllocationQueue(db, request.principal as Principal, sittingId);
  const ctx = queueContext(queue);
  const row = ctx.rows.find((r) => r.requestId === requestId);
  if (!row) throw new AppError('not-found', `Request ${requestId} is not on this sitting's agenda`);
  const values = options.values ?? {};
  const agencyItems = [
    { value: '', text: 'Choose an agency', selected: !values.agencyId },
    ...queue.agencies.map((a) => ({
      value: String(a.id),
      text: `${a.name} (${a.free} of ${a.capacity} places free)`,
      selected: values.agencyId === String(a.id),
      disabled: a.free === 0 && values.agencyId !== String(a.id),
    })),
  ];
  return renderPage(
    request,
    reply,
    'allocation-override.njk',
    {
      title: `Choose the lead agency for ${row.reference}`,
      sittingId,
      dateText: ctx.dateText,
      row,
      agencyItems,
      values,
      errorList: options.errors?.errorList ?? [],
      fieldErrors: options.errors?.fieldErrors ?? {},
    },
    options.status ?? 200,
  );
}

/** Registers the coordinator's allocation pages and forms, and the agency's pages. */
export function registerAllocationPages(app: FastifyInstance): void {
  const { db } = app.deps;
  const access = { config: { access: queueRoles } };
  const ctxOf = (request: FastifyRequest) => ({
    now: app.deps.now(),
    actor: request.principal as Principal,
  });

  app.get('/allocations', access, async (request, reply) => {
    const from = DateTime.fromJSDate(app.deps.now()).minus({ days: 14 }).toISODate() as string;
    const sittings = await listQueueSittings(db, from);
    return renderPage(request, reply, 'allocation-sittings.njk', {
      title: 'Allocation queue',
      sittings: sittings.map((s) => ({
        ...s,
        dateText: DateTime.fromISO(s.date).toFormat('cccc d LLLL yyyy'),
      })),
    });
  });

  app.get('/sittings/:id/allocations', { config: { access: queueRoles, cache: true } }, (request, reply) =>
    showQueue(request, reply, idParam(request.params)),
  );

  app.post('/sittings/:id/allocations/accept', access, async (request, reply) => {
    const sittingId = idParam(request.params);
    const parsed = acceptForm.safeParse(body(request));
    if (!parsed.success)
      return showQueue(request, reply, sittingId, {
        errors: formErrors(
          [{ field: 'suggestionId', message: parsed.error.issues[0]!.message }],
          () => 'queue',
        ),
        status: 422,
      });
    const suggestionId = Number(parsed.data.suggestionId);
    const requestId = Number(body(request).requestId) || 0;
    try {
      const decided = await acceptSuggestion(db, suggestionId, ctxOf(request));
      const queue = await loadAllocationQueue(db, request.principal as Principal, sittingId);
      const ref = queue.requests.find((r) => r.requestId === decided.requestId)?.reference ?? '';
      return reply.redirect(
        `/sittings/${sittingId}/allocations?done=accepted&ref=${encodeURIComponent(ref)}#request-${decided.requestId}`,
        303,
      );
    } catch (error) {
      if (isAppError(error) && error.code === 'not-found')
        return refuseOnQueue(
          request,
          reply,
          sittingId,
          new AppError(
            'conflict',
            'That proposal has been replaced: look at the new proposal and decide again',
          ),
          `#request-${requestId}`,
        );
      return refuseOnQueue(request, reply, sittingId, error, `#request-${requestId}`);
    }
  });

  app.get('/sittings/:id/allocations/requests/:requestId', access, (request, reply) =>
    showOverride(request, reply),
  );

  app.post('/sittings/:id/allocations/requests/:requestId', access, async (request, reply) => {
    const sittingId = idParam(request.params);
    const requestId = idParam(request.params, 'requestId');
    const b = body(request);
    const values = {
      agencyId: typeof b.agencyId === 'string' ? b.agencyId : '',
      reason: typeof b.reason === 'string' ? b.reason : '',
    };
    const refuse = (issues: FieldIssue[], status: number) =>
      showOverride(request, reply, { errors: formErrors(issues), values, status });
    const parsed = overrideForm.safeParse(b);
    if (!parsed.success)
      return refuse(
        parsed.error.issues.map((i) => ({ field: String(i.path[0] ?? 'agencyId'), message: i.message })),
        422,
      );
    // The request must be on this sitting's agenda (showOverride answers 404 otherwise).
    const queue = await loadAllocationQueue(db, request.principal as Principal, sittingId);
    const row = queue.requests.find((r) => r.requestId === requestId);
    if (!row) throw new AppError('not-found', `Request ${requestId} is not on this sitting's agenda`);
    try {
      const decided = await overrideAllocation(
        db,
        { requestId, agencyId: Number(parsed.data.agencyId), reason: parsed.data.reason, sittingId },
        ctxOf(request),
      );
      return reply.redirect(
        `/sittings/${sittingId}/allocations?done=${decided.decision}&ref=${encodeURIComponent(row.reference)}#request-${requestId}`,
        303,
      );
    } catch (error) {
      if (!isAppError(error) || !['conflict', 'invalid-input', 'not-found'].includes(error.code)) throw error;
      const issues = error.issues.length ? error.issues : [{ field: 'agencyId', message: error.message }];
      return refuse(issues, error.code === 'conflict' ? 409 : 422);
    }
  });

  app.post('/sittings/:id/suggestions', access, async (request, reply) => {
    const sittingId = idParam(request.params);
    try {
      await computeSuggestions(db, sittingId, ctxOf(request));
    } catch (error) {
      return refuseOnQueue(request, reply, sittingId, error, '#propose');
    }
    return reply.redirect(`/sittings/${sittingId}/allocations?done=proposed`, 303);
  });

  registerResendPage(app, queueRoles, refuseOnQueue);
  registerAgencyPages(app);
}
