import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Database } from '../../../schema/database.ts';
import { buildAndStoreAgenda } from '../../agenda/agenda.service.ts';
import {
  deferAgendaItem,
  moveAgendaItem,
  pinAgendaItem,
  publishSittingAgenda,
  swapAgendaItems,
  unpinAgendaItem,
} from '../../agenda/agenda-edits.service.ts';
import { agendaFlags, localIso } from '../../domain/agenda.ts';
import type { AgendaEditChange, RequestPlacement } from '../../domain/agenda-edits.ts';
import { type Principal, staffRoles } from '../context.ts';
import { type AgendaReview, editRoles, loadAgendaReview } from '../pages/agenda.view.ts';
import { apiRoute } from './define.ts';

/*
 * A sitting's agenda: read (the hub's staff), build and the chair's edits (chair and admin). Every
 * edit goes through the agenda services (the rules, the transaction and the audit log). Slots count
 * from 0. A refused edit is a problem: 409 (slot taken, published and frozen, nothing to change),
 * 422 naming the field (slot out of range or across the break), 404 (no such sitting or item).
 */

const sittingParams = z.strictObject({ id: z.coerce.number().int().positive().max(2147483647) });
const itemParams = z.strictObject({
  id: z.coerce.number().int().positive().max(2147483647),
  itemId: z.coerce.number().int().positive().max(2147483647),
});

const urgency = z.enum(['high', 'normal', 'low']);
const reason = z.enum(['no-slot', 'consent-missing', 'proforma-missing', 'chair-deferred']);
const agendaRequest = z.object({
  requestId: z.number().int().nullable(),
  reference: z.string(),
  kind: z.enum(['new', 'review']),
  urgency,
  familyReference: z.string(),
  schoolName: z.string().nullable(),
  schoolUrn: z.number().int().nullable(),
  schoolEmails: z.array(z.string()),
  attendanceWindow: z.object({ from: z.string(), to: z.string() }).nullable().describe('Local HH:MM'),
});

export const agendaResponse = z.object({
  sittingId: z.number().int(),
  hubId: z.number().int(),
  hubName: z.string(),
  timezone: z.string(),
  date: z.string(),
  status: z.enum(['planned', 'published', 'held', 'cancelled']).describe('planned = a draft agenda'),
  builtAt: z.string().nullable(),
  publishedAt: z.string().nullable(),
  slotMinutes: z.number().int(),
  breakAfterSlot: z.number().int().nullable().describe('The break follows this slot, counting from 1'),
  breakMinutes: z.number().int(),
  slots: z.array(z.object({ slot: z.number().int(), startsAt: z.string(), endsAt: z.string() })),
  items: z.array(
    z.object({
      id: z.number().int(),
      slot: z.number().int().describe('First slot, from 0'),
      slotsUsed: z.number().int(),
      startsAt: z.string(),
      endsAt: z.string(),
      familyReference: z.string(),
      pinned: z.boolean(),
      movedByChair: z.boolean(),
      flags: z.array(z.enum(agendaFlags)),
      requests: z.array(agendaRequest),
    }),
  ),
  deferred: z.array(agendaRequest.extend({ reason, note: z.string().nullable() })),
});

function agendaJson(review: AgendaReview): z.input<typeof agendaResponse> {
  const { view, requestIdOf } = review;
  const local = (iso: string | null) =>
    iso === null ? null : localIso(DateTime.fromISO(iso).setZone(view.timezone));
  const withId = <T extends { reference: string }>(r: T) => ({
    requestId: requestIdOf.get(r.reference) ?? null,
    ...r,
  });
  return {
    sittingId: view.sittingId,
    hubId: review.hubId,
    hubName: view.hubName,
    timezone: view.timezone,
    date: view.date,
    status: view.status as z.output<typeof agendaResponse>['status'],
    builtAt: local(view.builtAt),
    publishedAt: local(view.publishedAt),
    slotMinutes: view.slotMinutes,
    breakAfterSlot: view.breakAfterSlot,
    breakMinutes: view.breakMinutes,
    slots: view.slots,
    items: view.items.map((i) => ({ ...i, requests: i.requests.map(withId) })),
    deferred: view.deferred.map(withId),
  };
}

const placement = z.discriminatedUnion('where', [
  z.object({
    where: z.literal('slot'),
    slot: z.number().int(),
    familyReference: z.string(),
    flags: z.array(z.enum(agendaFlags)),
  }),
  z.object({ where: z.literal('deferred'), reason }),
  z.object({ where: z.literal('absent') }),
]);
const placementJson = (p: RequestPlacement): z.input<typeof placement> =>
  p.where === 'slot' ? { where: 'slot', slot: p.slot, familyReference: p.familyId, flags: p.flags } : p;

export const buildResponse = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('built'),
    sittingId: z.number().int(),
    changed: z.boolean().describe('False when the stored agenda was already right (nothing rewritten)'),
    agenda: agendaResponse,
  }),
  z.object({
    kind: z.literal('frozen').describe('The agenda is published: nothing was written'),
    sittingId: z.number().int(),
    publishedAt: z.string(),
    changes: z
      .array(z.object({ reference: z.string(), before: placement, after: placement }))
      .describe('What a rebuild would change since publishing, by request reference'),
  }),
]);

const move = z.object({ itemId: z.number().int(), from: z.number().int(), to: z.number().int() });
export const changeResponse = z.discriminatedUnion('action', [
  z.object({ action: z.literal('moved'), ...move.shape }),
  z.object({ action: z.literal('swapped'), moves: z.array(move) }),
  z.object({
    action: z.literal('deferred'),
    itemId: z.number().int(),
    slot: z.number().int(),
    references: z.array(z.string()),
    note: z.string(),
  }),
  z.object({ action: z.enum(['pinned', 'unpinned']), itemId: z.number().int(), slot: z.number().int() }),
  z.object({ action: z.literal('published'), at: z.string() }),
]);

function changeJson(change: AgendaEditChange): z.input<typeof changeResponse> {
  switch (change.action) {
    case 'moved':
      return { ...change, itemId: Number(change.itemId) };
    case 'swapped':
      return { action: 'swapped', moves: change.moves.map((m) => ({ ...m, itemId: Number(m.itemId) })) };
    case 'deferred':
      return {
        action: 'deferred',
        itemId: Number(change.itemId),
        slot: change.slot,
        references: change.requestIds,
        note: change.note,
      };
    case 'pinned':
    case 'unpinned':
      return { action: change.action, itemId: Number(change.itemId), slot: change.slot };
    case 'published':
      return change;
  }
}

const editResponse = z.object({ change: changeResponse, agenda: agendaResponse });

async function edited(
  db: Kysely<Database>,
  principal: Principal,
  sittingId: number,
  change: AgendaEditChange,
) {
  return {
    body: {
      change: changeJson(change),
      agenda: agendaJson(await loadAgendaReview(db, principal, sittingId)),
    },
  };
}

const editErrors = ['not-found', 'conflict'] as const;
const itemEdit = (
  name: string,
  summary: string,
  description: string,
  body: z.ZodType | undefined,
  run: (c: {
    db: Kysely<Database>;
    id: number;
    itemId: number;
    body: unknown;
    ctx: { now: Date; actor: Principal };
  }) => Promise<{ change: AgendaEditChange }>,
) =>
  apiRoute({
    method: 'POST',
    path: `/sittings/:id/agenda/items/:itemId/${name}`,
    operationId: `${name}AgendaItem`,
    summary,
    description,
    tag: 'agenda',
    roles: editRoles,
    params: itemParams,
    ...(body ? { body } : {}),
    response: editResponse,
    responseDescription: 'The change and the agenda as it now is',
    errors: [...editErrors],
    handler: async ({ db, params, body: input, principal, now }) => {
      const outcome = await run({
        db,
        id: params.id,
        itemId: params.itemId,
        body: input,
        ctx: { now: now(), actor: principal },
      });
      return edited(db, principal, params.id, outcome.change);
    },
  });

export const agendaRoutes = [
  apiRoute({
    method: 'GET',
    path: '/sittings/:id/agenda',
    operationId: 'getAgenda',
    summary: "Get a sitting's agenda",
    description:
      'Slots, items with their requests, schools and flags, and the deferred requests with their reason.',
    tag: 'agenda',
    roles: staffRoles,
    params: sittingParams,
    response: agendaResponse,
    responseDescription: 'The stored agenda',
    errors: ['not-found'],
    handler: async ({ db, params, principal }) => ({
      body: agendaJson(await loadAgendaReview(db, principal, params.id)),
    }),
  }),
  apiRoute({
    method: 'POST',
    path: '/sittings/:id/agenda/build',
    operationId: 'buildAgenda',
    summary: 'Build or rebuild the agenda',
    description:
      "A draft is (re)built and stored, keeping the chair's pins and moves; idempotent. A published agenda is " +
      'frozen: nothing is written and the answer lists what a rebuild would change. Held or cancelled: 409.',
    tag: 'agenda',
    roles: editRoles,
    params: sittingParams,
    response: buildResponse,
    responseDescription: 'The built agenda, or the changes since publishing',
    errors: [...editErrors],
    handler: async ({ db, params, principal, now }) => {
      const result = await buildAndStoreAgenda(db, params.id, { now: now(), actor: principal });
      if (result.kind === 'frozen')
        return {
          body: {
            kind: 'frozen' as const,
            sittingId: result.sittingId,
            publishedAt: result.publishedAt,
            changes: result.changes.map((c) => ({
              reference: c.requestId,
              before: placementJson(c.before),
              after: placementJson(c.after),
            })),
          },
        };
      return {
        body: {
          kind: 'built' as const,
          sittingId: result.sittingId,
          changed: result.changed,
          agenda: agendaJson(await loadAgendaReview(db, principal, params.id)),
        },
      };
    },
  }),
  itemEdit(
    'move',
    'Move an item to a free slot',
    'The item keeps the slot on rebuilds. 409 when the slot is taken; 422 (field `slot`) when out of range or across the break.',
    z.strictObject({ slot: z.int().min(0).max(47).describe('The first slot, from 0') }),
    ({ db, id, itemId, body, ctx }) => moveAgendaItem(db, id, itemId, (body as { slot: number }).slot, ctx),
  ),
  itemEdit(
    'swap',
    'Swap two items',
    'Adjacent items trade places within the block they cover; others exchange start slots, which must fit.',
    z.strictObject({ otherItemId: z.int().positive().max(2147483647) }),
    ({ db, id, itemId, body, ctx }) =>
      swapAgendaItems(db, id, itemId, (body as { otherItemId: number }).otherItemId, ctx),
  ),
  itemEdit(
    'defer',
    'Defer an item to the next sitting',
    "All the item's requests are deferred (`chair-deferred`) with the reason, and carried over.",
    z.strictObject({
      reason: z
        .string()
        .trim()
        .min(1, 'must say why the item is deferred')
        .max(500)
        .describe("The chair's reason; never a child's or parent's name"),
    }),
    ({ db, id, itemId, body, ctx }) =>
      deferAgendaItem(db, id, itemId, (body as { reason: string }).reason, ctx),
  ),
  itemEdit('pin', 'Pin an item to its slot', 'A rebuild keeps a pinned item in its slot.', undefined, (c) =>
    pinAgendaItem(c.db, c.id, c.itemId, c.ctx),
  ),
  itemEdit(
    'unpin',
    'Unpin an item',
    'Also forgets a manual move: the next rebuild may place it elsewhere.',
    undefined,
    (c) => unpinAgendaItem(c.db, c.id, c.itemId, c.ctx),
  ),
  apiRoute({
    method: 'POST',
    path: '/sittings/:id/agenda/publish',
    operationId: 'publishAgenda',
    summary: 'Publish the agenda',
    description: 'The sitting becomes published and its agenda frozen. 409 when already published.',
    tag: 'agenda',
    roles: editRoles,
    params: sittingParams,
    response: editResponse,
    responseDescription: 'The change and the published agenda',
    errors: [...editErrors],
    handler: async ({ db, params, principal, now }) => {
      const outcome = await publishSittingAgenda(db, params.id, { now: now(), actor: principal });
      return edited(db, principal, params.id, outcome.change);
    },
  }),
];
