import { z } from 'zod';
import { hubInputSchema, hubInputValues, hubPatchSchema } from '../../admin/hub-admin.schemas.ts';
import {
  addClosure,
  createHub,
  loadHubInput,
  patchHub,
  type Replanned,
  removeClosure,
} from '../../admin/hub-admin.service.ts';
import { apiRoute } from './define.ts';

/*
 * Admin writes of hubs and closures. A hub is validated by the planner's own schema (the same as
 * `hub plan --config` and the admin form); every change is audited, then the hub's sittings are
 * re-planned (published and held sittings never move) and the outcome is returned.
 */

const admin = ['admin'] as const;
const idParams = z.strictObject({ id: z.coerce.number().int().positive().max(2147483647) });

const replanned = z
  .array(
    z.object({
      hubId: z.number().int(),
      created: z.number().int().optional(),
      moved: z.number().int().optional(),
      cancelled: z.number().int().optional(),
      error: z.string().optional().describe('Why re-planning failed (the daily planning job retries it)'),
    }),
  )
  .describe('What re-planning did to each hub the change applies to');

const hubView = z.object({
  id: z.number().int(),
  name: z.string(),
  timezone: z.string(),
  rrule: z.string(),
  firstSitting: z.string().describe('YYYY-MM-DD'),
  startTime: z.string().describe('Local time HH:MM'),
  slotMinutes: z.number().int(),
  slotsPerSitting: z.number().int(),
  breakAfterSlot: z.number().int().nullable().describe('The break follows this slot, counting from 1'),
  breakMinutes: z.number().int(),
  holidayPolicy: z.enum(['skip', 'next-working-day']),
  missingProformaPolicy: z.enum(['flag', 'defer']),
  proformaDeadlineWorkingDays: z.number().int(),
  reminderCadence: z.array(z.number().int()).describe('Working days before the deadline, latest first'),
  agendaLeadWorkingDays: z.number().int(),
  replanned,
});

function replanBody(r: Replanned): z.input<typeof replanned> {
  return r.map((x) =>
    x.kind === 'failed'
      ? { hubId: x.hubId, error: x.message }
      : {
          hubId: x.hubId,
          created: x.summary.created,
          moved: x.summary.moved,
          cancelled: x.summary.cancelled,
        },
  );
}

async function hubBody(db: Parameters<typeof loadHubInput>[0], hubId: number, r: Replanned) {
  const values = hubInputValues(await loadHubInput(db, hubId));
  const { closures: _closures, ...rest } = values;
  return {
    id: hubId,
    ...(rest as Omit<z.input<typeof hubView>, 'id' | 'replanned'>),
    replanned: replanBody(r),
  };
}

export const adminHubRoutes = [
  apiRoute({
    method: 'POST',
    path: '/hubs',
    operationId: 'createHub',
    summary: 'Create a hub',
    description:
      'The fields of `hub plan --config` hub.json plus the chasing settings. Invalid fields (an RRULE, a zone, ' +
      '`25:00`, a first sitting the rule does not give) are named in the problem. The new hub is planned at once.',
    tag: 'admin',
    roles: admin,
    body: hubInputSchema,
    status: 201,
    response: hubView,
    responseDescription: 'The hub as stored, with its planning outcome',
    errors: ['conflict'],
    handler: async ({ db, principal, request, now }) => {
      const created = await createHub(db, principal, request.body, now());
      return {
        status: 201,
        body: await hubBody(db, created.hubId, created.replanned),
        headers: { location: `/api/v1/hubs/${created.hubId}` },
      };
    },
  }),
  apiRoute({
    method: 'PATCH',
    path: '/hubs/:id',
    operationId: 'updateHub',
    summary: 'Change a hub',
    description:
      'Only the fields sent change; the whole hub is then validated as for POST. Future planned sittings are ' +
      're-planned; published and held sittings never move.',
    tag: 'admin',
    roles: admin,
    params: idParams,
    body: hubPatchSchema,
    response: hubView,
    responseDescription: 'The hub as stored, with its planning outcome',
    errors: ['not-found', 'conflict'],
    handler: async ({ db, principal, params, body, now }) => {
      const updated = await patchHub(db, principal, params.id, body as Record<string, unknown>, now());
      return { body: await hubBody(db, params.id, updated.replanned) };
    },
  }),
  apiRoute({
    method: 'POST',
    path: '/closures',
    operationId: 'addClosure',
    summary: 'Close one hub, or every hub, on some days',
    description:
      'Re-plans the hubs it applies to: a sitting on a closed day is skipped or moved by the hub’s holiday policy.',
    tag: 'admin',
    roles: admin,
    body: z.strictObject({
      hubId: z.number().int().positive().nullable().describe('The hub, or null for every hub (council-wide)'),
      from: z.string().describe('First closed day, YYYY-MM-DD'),
      to: z.string().optional().describe('Last closed day, YYYY-MM-DD (default: from)'),
      reason: z.string().trim().min(1, 'is required').max(200, 'must be 200 characters or fewer'),
    }),
    status: 201,
    response: z.object({ id: z.number().int(), replanned }),
    responseDescription: 'The closure id and the planning outcome',
    handler: async ({ db, principal, body, now }) => {
      const added = await addClosure(db, principal, body, now());
      return { status: 201, body: { id: added.closureId, replanned: replanBody(added.replanned) } };
    },
  }),
  apiRoute({
    method: 'DELETE',
    path: '/closures/:id',
    operationId: 'removeClosure',
    summary: 'Remove a closure',
    description: 'Re-plans the hubs it applied to.',
    tag: 'admin',
    roles: admin,
    params: idParams,
    response: z.object({ id: z.number().int(), replanned }),
    responseDescription: 'The removed closure id and the planning outcome',
    errors: ['not-found'],
    handler: async ({ db, principal, params, now }) => {
      const removed = await removeClosure(db, principal, params.id, now());
      return { body: { id: params.id, replanned: replanBody(removed.replanned) } };
    },
  }),
];
