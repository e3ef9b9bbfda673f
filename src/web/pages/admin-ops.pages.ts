import type { FastifyInstance } from 'fastify';
import { detailLines } from '../../admin/audit-view.ts';
import { auditEntities } from '../../admin/ops-admin.repository.ts';
import { auditPage, queueHealth } from '../../admin/ops-admin.service.ts';
import type { OutboxState } from '../../email/outbox.repository.ts';
import { outboxStates } from '../../email/outbox.repository.ts';
import { listOutbox, outboxHealth, retryFailed } from '../../email/outbox-admin.service.ts';
import { isAppError } from '../../errors.ts';
import { idParam } from '../params.ts';
import { adminOnly, labelledErrors, principalOf, renderAdmin } from './admin-shared.pages.ts';

/*
 * Operations: the audit log (filters, newest first, keyset pages; details never show free text),
 * the email outbox by state with "retry" for failed emails (the outbox service audits it), and the
 * due tasks' health. Links to the BullMQ dashboard when Redis is configured.
 */

const auditLabels: Record<string, string> = {
  actor: 'Who',
  action: 'Action',
  entity: 'Entity',
  from: 'From',
  to: 'To',
  cursor: 'Page',
};

const stateNames: Record<OutboxState, string> = {
  pending: 'Waiting',
  sending: 'Sending',
  sent: 'Sent',
  failed: 'Failed',
  uncertain: 'Uncertain',
  cancelled: 'Cancelled',
};

export function registerAdminOpsPages(app: FastifyInstance): void {
  const { db, now, config } = app.deps;

  app.get('/admin/audit', adminOnly, async (request, reply) => {
    const raw = (request.query ?? {}) as Record<string, unknown>;
    const filters = Object.fromEntries(
      ['actor', 'action', 'entity', 'from', 'to'].map((k) => [
        k,
        typeof raw[k] === 'string' ? (raw[k] as string) : '',
      ]),
    );
    const entities = await auditEntities(db);
    const entityItems = [{ value: '', text: 'Any' }, ...entities.map((e) => ({ value: e, text: e }))].map(
      (i) => ({
        ...i,
        selected: i.value === filters.entity,
      }),
    );
    try {
      const page = await auditPage(
        db,
        { ...filters, ...(typeof raw.cursor === 'string' ? { cursor: raw.cursor } : {}) },
        config.timezone,
      );
      const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== ''));
      const nextParams = new URLSearchParams(params);
      if (page.nextCursor) nextParams.set('cursor', page.nextCursor);
      return renderAdmin(request, reply, 'audit.njk', {
        title: 'Audit log',
        filters,
        entityItems,
        entries: page.items.map((e) => ({ ...e, lines: detailLines(e.details) })),
        olderHref: page.nextCursor ? `/admin/audit?${nextParams}` : null,
        newestHref: typeof raw.cursor === 'string' ? `/admin/audit?${params}` : null,
      });
    } catch (error) {
      if (!isAppError(error) || error.code !== 'invalid-input') throw error;
      const errors = labelledErrors(error.issues, auditLabels);
      return renderAdmin(
        request,
        reply,
        'audit.njk',
        { title: 'Audit log', filters, entityItems, entries: [], ...errors },
        422,
      );
    }
  });

  app.get('/admin/outbox', adminOnly, async (request, reply) => {
    const raw = (request.query ?? {}) as Record<string, unknown>;
    const state = outboxStates.includes(raw.state as OutboxState) ? (raw.state as OutboxState) : 'failed';
    const [health, entries] = await Promise.all([outboxHealth(db), listOutbox(db, { state, limit: 200 })]);
    const retried = typeof raw.retried === 'string' && /^\d{1,10}$/.test(raw.retried) ? raw.retried : null;
    return renderAdmin(request, reply, 'outbox.njk', {
      title: `Emails: ${stateNames[state].toLowerCase()}`,
      state,
      stateName: stateNames[state],
      states: outboxStates.map((s) => ({
        value: s,
        text: stateNames[s],
        count: health[s],
        current: s === state,
      })),
      entries,
      retried,
    });
  });

  app.post('/admin/outbox/:id/retry', adminOnly, async (request, reply) => {
    const id = idParam(request.params);
    await retryFailed(db, id, principalOf(request), now());
    return reply.redirect(`/admin/outbox?state=failed&retried=${id}`, 303);
  });

  app.get('/admin/queue', adminOnly, async (request, reply) => {
    const health = await queueHealth(db);
    const kinds = [...new Set(health.tasks.map((t) => t.kind))];
    const taskStates = ['pending', 'running', 'done', 'failed'];
    return renderAdmin(request, reply, 'queue.njk', {
      title: 'Queue health',
      redis: config.redisUrl !== null,
      outbox: outboxStates.map((s) => ({ value: s, text: stateNames[s], count: health.outbox[s] })),
      taskStates,
      taskRows: kinds.map((kind) => ({
        kind,
        counts: taskStates.map((s) => health.tasks.find((t) => t.kind === kind && t.state === s)?.count ?? 0),
      })),
      failedTasks: health.failedTasks,
    });
  });
}
