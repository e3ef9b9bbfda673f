import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { listClosureViews, listHubSummaries } from '../../admin/hub-admin.repository.ts';
import { addClosure, type Replanned, removeClosure } from '../../admin/hub-admin.service.ts';
import { type FieldIssue, isAppError } from '../../errors.ts';
import { idParam } from '../params.ts';
import {
  adminOnly,
  dateFromBoxes,
  field,
  labelledErrors,
  postedForm,
  principalOf,
  queryCount,
  renderAdmin,
} from './admin-shared.pages.ts';

/*
 * Closures: days a hub (or every hub) does not sit, with a reason. Adding or removing one re-plans
 * the hubs it applies to, through the calendar service (a sitting on a closed day moves or is
 * dropped by the hub's holiday policy; published and held sittings never move).
 */

const labels: Record<string, string> = {
  hubId: 'Which hubs',
  from: 'First closed day',
  to: 'Last closed day',
  reason: 'Reason',
};

function summaryQuery(replanned: Replanned, what: 'added' | 'removed'): string {
  const planned = replanned.flatMap((r) => (r.kind === 'planned' ? [r.summary] : []));
  return new URLSearchParams({
    [what]: '1',
    hubs: String(planned.length),
    failed: String(replanned.length - planned.length),
    moved: String(planned.reduce((n, s) => n + s.moved, 0)),
    cancelled: String(planned.reduce((n, s) => n + s.cancelled, 0)),
    created: String(planned.reduce((n, s) => n + s.created, 0)),
  }).toString();
}

function hubFilter(query: unknown): number | null {
  const raw = (query as Record<string, unknown> | undefined)?.hub;
  return typeof raw === 'string' && /^[1-9]\d{0,8}$/.test(raw) ? Number(raw) : null;
}

export function registerAdminClosurePages(app: FastifyInstance): void {
  const { db, now, config } = app.deps;

  const show = async (
    request: FastifyRequest,
    reply: FastifyReply,
    options: { values?: Record<string, string>; issues?: FieldIssue[] } = {},
  ) => {
    const hubId = hubFilter(request.query);
    const today = DateTime.fromJSDate(now(), { zone: config.timezone }).toISODate() as string;
    const [hubs, closures] = await Promise.all([
      listHubSummaries(db, today),
      listClosureViews(db, { ...(hubId === null ? {} : { hubId }), from: today }),
    ]);
    const errors = labelledErrors(options.issues ?? [], labels, (f) =>
      f === 'from' ? 'from-day' : f === 'to' ? 'to-day' : f,
    );
    const query = request.query as Record<string, unknown>;
    const values = options.values ?? { hubId: hubId === null ? '' : String(hubId) };
    const done =
      request.method === 'GET' && (query.added === '1' || query.removed === '1')
        ? {
            what: query.added === '1' ? 'added' : 'removed',
            hubs: queryCount(query, 'hubs') ?? 0,
            failed: queryCount(query, 'failed') ?? 0,
            moved: queryCount(query, 'moved') ?? 0,
            cancelled: queryCount(query, 'cancelled') ?? 0,
            created: queryCount(query, 'created') ?? 0,
          }
        : null;
    return renderAdmin(
      request,
      reply,
      'closures.njk',
      {
        title: 'Closures',
        closures,
        filterHub: hubs.find((h) => h.id === hubId) ?? null,
        hubItems: [
          { value: '', text: 'Every hub (council-wide)' },
          ...hubs.map((h) => ({ value: String(h.id), text: h.name })),
        ].map((item) => ({ ...item, selected: item.value === (values.hubId ?? '') })),
        values,
        fieldErrors: errors.fieldErrors,
        errorList: errors.errorList,
        done,
        returnTo: hubId === null ? '/admin/closures' : `/admin/closures?hub=${hubId}`,
      },
      errors.errorList.length > 0 ? 422 : 200,
    );
  };

  app.get('/admin/closures', adminOnly, (request, reply) => show(request, reply));

  app.post('/admin/closures', adminOnly, async (request, reply) => {
    const form = postedForm(request.body);
    const values = Object.fromEntries(
      ['hubId', 'reason', 'from-day', 'from-month', 'from-year', 'to-day', 'to-month', 'to-year'].map((n) => [
        n,
        field(form, n),
      ]),
    );
    const issues: FieldIssue[] = [];
    const from = dateFromBoxes(form, 'from');
    const to = dateFromBoxes(form, 'to');
    if (from.kind !== 'date')
      issues.push({ field: 'from', message: from.kind === 'blank' ? 'is required' : from.message });
    if (to.kind === 'invalid') issues.push({ field: 'to', message: to.message });
    const reason = field(form, 'reason').trim();
    if (reason === '')
      issues.push({ field: 'reason', message: 'is required, for example Christmas closure' });
    if (reason.length > 200) issues.push({ field: 'reason', message: 'must be 200 characters or fewer' });
    const hubText = field(form, 'hubId');
    const hubId = /^[1-9]\d{0,8}$/.test(hubText) ? Number(hubText) : null;
    if (hubText !== '' && hubId === null) issues.push({ field: 'hubId', message: 'is not a hub' });
    if (issues.length > 0 || from.kind !== 'date') return show(request, reply, { values, issues });
    try {
      const result = await addClosure(
        db,
        principalOf(request),
        { hubId, from: from.date, to: to.kind === 'date' ? to.date : undefined, reason },
        now(),
      );
      const back = hubFilter(request.query);
      return reply.redirect(
        `/admin/closures?${back === null ? '' : `hub=${back}&`}${summaryQuery(result.replanned, 'added')}`,
        303,
      );
    } catch (error) {
      if (isAppError(error) && error.code === 'invalid-input')
        return show(request, reply, { values, issues: error.issues });
      throw error;
    }
  });

  app.post('/admin/closures/:id/remove', adminOnly, async (request, reply) => {
    const result = await removeClosure(db, principalOf(request), idParam(request.params), now());
    const back = hubFilter(request.query);
    return reply.redirect(
      `/admin/closures?${back === null ? '' : `hub=${back}&`}${summaryQuery(result.replanned, 'removed')}`,
      303,
    );
  });
}
