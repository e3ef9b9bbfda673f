import { z } from 'zod';
import { auditPage, auditQuery } from '../../admin/ops-admin.service.ts';
import { type OutboxState, outboxStates } from '../../email/outbox.repository.ts';
import { listOutbox, type OutboxEntry, outboxHealth, retryFailed } from '../../email/outbox-admin.service.ts';
import { apiRoute } from './define.ts';

/*
 * Admin operations: the audit log (filters, cursor pages, newest first; details carry ids, codes and
 * dates only, free text is replaced by "[text hidden]") and the email outbox with retry of a failed
 * email (audited by the outbox service).
 */

const admin = ['admin'] as const;
const idParams = z.strictObject({ id: z.coerce.number().int().positive().max(2147483647) });

const auditEntry = z.object({
  id: z.number().int(),
  at: z.string().describe('ISO 8601 instant (UTC)'),
  actor: z.string().describe('user:<id> or system:<part>'),
  actorName: z.string().nullable(),
  action: z.string(),
  entity: z.string(),
  entityId: z.string().nullable(),
  details: z.unknown().describe('Ids, codes and dates; anything that could be free text is "[text hidden]"'),
});

const outboxEntry = z.object({
  id: z.number().int(),
  template: z.string(),
  to: z.string(),
  state: z.enum(outboxStates as [OutboxState, ...OutboxState[]]),
  attempts: z.number().int(),
  uncertainSends: z.number().int(),
  scheduledFor: z.string(),
  giveUpAt: z.string().nullable(),
  sentAt: z.string().nullable(),
  lastError: z.string().nullable(),
  messageId: z.string(),
  requestId: z.number().int().nullable(),
  proformaId: z.number().int().nullable(),
});

function outboxBody(e: OutboxEntry): z.input<typeof outboxEntry> {
  return {
    ...e,
    scheduledFor: e.scheduledFor.toISOString(),
    giveUpAt: e.giveUpAt?.toISOString() ?? null,
    sentAt: e.sentAt?.toISOString() ?? null,
  };
}

export const adminOpsRoutes = [
  apiRoute({
    method: 'GET',
    path: '/audit',
    cache: false,
    operationId: 'listAudit',
    summary: 'Read the audit log',
    description:
      'Newest first. `action` matches an action or a dotted prefix (`hub` matches `hub.updated`); `from` and ' +
      '`to` are days in the council’s zone. Pass `nextCursor` back as `cursor` for older entries.',
    tag: 'admin',
    roles: admin,
    query: auditQuery,
    response: z.object({ items: z.array(auditEntry), nextCursor: z.string().nullable() }),
    responseDescription: 'A page of audit entries',
    handler: async ({ db, request, config }) => {
      const page = await auditPage(db, request.query ?? {}, config.timezone);
      return {
        body: {
          items: page.items.map((e) => ({ ...e, at: e.at.toISOString() })),
          nextCursor: page.nextCursor,
        },
      };
    },
  }),
  apiRoute({
    method: 'GET',
    path: '/outbox',
    cache: false,
    operationId: 'listOutbox',
    summary: 'Emails in the outbox',
    description:
      'Counts by state, and the emails of one state (default failed), oldest first. Params are never shown.',
    tag: 'admin',
    roles: admin,
    query: z.strictObject({
      state: z.enum(outboxStates as [OutboxState, ...OutboxState[]]).default('failed'),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
    response: z.object({
      counts: z.record(z.string(), z.number().int()).describe('Emails per state'),
      items: z.array(outboxEntry),
    }),
    responseDescription: 'Counts and emails',
    handler: async ({ db, query }) => {
      const [counts, items] = await Promise.all([
        outboxHealth(db),
        listOutbox(db, { state: query.state, limit: query.limit }),
      ]);
      return { body: { counts, items: items.map(outboxBody) } };
    },
  }),
  apiRoute({
    method: 'POST',
    path: '/outbox/:id/retry',
    operationId: 'retryEmail',
    summary: 'Send a failed email again',
    description: 'Only a failed email can be retried (409 otherwise). It keeps its Message-ID. Audited.',
    tag: 'admin',
    roles: admin,
    params: idParams,
    response: outboxEntry,
    responseDescription: 'The email, pending again',
    errors: ['not-found', 'conflict'],
    handler: async ({ db, principal, params, now }) => ({
      body: outboxBody(await retryFailed(db, params.id, principal, now())),
    }),
  }),
];
