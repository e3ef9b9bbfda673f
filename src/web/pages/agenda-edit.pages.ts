import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { buildAndStoreAgenda } from '../../agenda/agenda.service.ts';
import {
  deferAgendaItem,
  moveAgendaItem,
  pinAgendaItem,
  publishSittingAgenda,
  swapAgendaItems,
  unpinAgendaItem,
} from '../../agenda/agenda-edits.service.ts';
import { type FieldIssue, isAppError } from '../../errors.ts';
import type { Principal } from '../context.ts';
import { idParam } from '../params.ts';
import { formErrors } from '../render.ts';
import { showAgenda, showItem } from './agenda.pages.ts';
import { editRoles } from './agenda.view.ts';

/*
 * The chair's edits as forms (no JavaScript needed): build or rebuild, move, swap, defer with a
 * reason, pin, unpin, publish. Each POST validates its form with zod, then calls the agenda service,
 * which applies the rule, stores the change and writes the audit log in one transaction. A refused
 * edit (slot taken, published, bad slot) re-shows the page with the service's reason in the error
 * summary, the input kept and nothing saved; success redirects (303) back to the agenda.
 */

const choose = (message: string) => z.string({ error: message }).trim().min(1, message);

const moveForm = z.object({
  slot: choose('Choose a slot to move the item to').regex(/^\d{1,2}$/, 'Choose a slot from the list'),
});
const swapForm = z.object({
  otherItemId: choose('Choose the item to swap with').regex(/^[1-9]\d{0,9}$/, 'Choose an item from the list'),
});
const deferForm = z.object({
  reason: choose('Say why the item is deferred').max(500, 'The reason must be 500 characters or fewer'),
});

/**
 * The services number slots from 0 (as the API does); people count from 1, as the page's lists do.
 * Only the numbers in a refusal's wording change: the reason is the service's.
 */
export function countFromOne(message: string): string {
  const plus = (n: string) => String(Number(n) + 1);
  // One pass, so a number already counted from 1 is never counted again.
  return message.replace(
    /can start at (\d+) to (\d+)|starting at (\d+)|\b([Ss]lot) (\d+)/g,
    (_m, from?: string, to?: string, start?: string, word?: string, slot?: string) =>
      from !== undefined && to !== undefined
        ? `can start at slot ${plus(from)} to ${plus(to)}`
        : start !== undefined
          ? `starting at slot ${plus(start)}`
          : `${word} ${plus(slot ?? '0')}`,
  );
}

type Ctx = { sittingId: number; itemId: number; principal: Principal; now: Date };

function body(request: FastifyRequest): Record<string, unknown> {
  return typeof request.body === 'object' && request.body !== null
    ? (request.body as Record<string, unknown>)
    : {};
}

/** The posted values of `fields`, as typed (kept in the form when it is shown again). */
function kept(request: FastifyRequest, fields: string[]): Record<string, string> {
  const b = body(request);
  return Object.fromEntries(fields.flatMap((f) => (typeof b[f] === 'string' ? [[f, b[f] as string]] : [])));
}

/**
 * Validates the form, runs the edit and redirects to the agenda; on a refusal re-shows the item page
 * with every message attached to `field` (the control that the chair would change).
 */
async function itemEdit<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  options: {
    form: z.ZodType<T> | null;
    field: string;
    done: string;
    keepItem: boolean;
    run: (input: T, ctx: Ctx) => Promise<unknown>;
  },
) {
  const ctx: Ctx = {
    sittingId: idParam(request.params),
    itemId: idParam(request.params, 'itemId'),
    principal: request.principal as Principal,
    now: request.server.deps.now(),
  };
  const values = kept(request, [options.field]);
  const refuse = (issues: FieldIssue[], status: number) =>
    showItem(request, reply, ctx.sittingId, ctx.itemId, {
      errors: formErrors(issues.map((i) => ({ field: options.field, message: countFromOne(i.message) }))),
      values,
      status,
    });
  let input = undefined as T;
  if (options.form) {
    const parsed = options.form.safeParse(body(request));
    if (!parsed.success)
      return refuse(
        parsed.error.issues.map((i) => ({ field: options.field, message: i.message })),
        422,
      );
    input = parsed.data;
  }
  try {
    await options.run(input, ctx);
  } catch (error) {
    if (isAppError(error) && (error.code === 'invalid-input' || error.code === 'conflict'))
      return refuse(
        error.issues.length ? error.issues : [{ field: options.field, message: error.message }],
        error.code === 'conflict' ? 409 : 422,
      );
    throw error;
  }
  const anchor = options.keepItem ? `&item=${ctx.itemId}#item-${ctx.itemId}` : '';
  return reply.redirect(`/sittings/${ctx.sittingId}/agenda?done=${options.done}${anchor}`, 303);
}

/** A refused build or publish: the agenda page with the service's reason. */
function refuseOnAgenda(
  request: FastifyRequest,
  reply: FastifyReply,
  sittingId: number,
  error: unknown,
  href: string,
) {
  if (!isAppError(error) || (error.code !== 'conflict' && error.code !== 'invalid-input')) throw error;
  return showAgenda(request, reply, sittingId, {
    errors: { errorList: [{ text: error.message, href }], fieldErrors: {} },
    status: error.code === 'conflict' ? 409 : 422,
  });
}

/** The forms that change an agenda (POST only; chair and admin). */
export function registerAgendaEditPages(app: FastifyInstance): void {
  const { db } = app.deps;
  const edit = { config: { access: editRoles } };
  const actorCtx = (c: Ctx) => ({ now: c.now, actor: c.principal });

  app.post('/sittings/:id/agenda/build', edit, async (request, reply) => {
    const sittingId = idParam(request.params);
    try {
      const result = await buildAndStoreAgenda(db, sittingId, {
        now: app.deps.now(),
        actor: request.principal as Principal,
      });
      // A published agenda is frozen: the rebuild only says what would change.
      if (result.kind === 'frozen') return reply.redirect(`/sittings/${sittingId}/agenda/changes`, 303);
      return reply.redirect(
        `/sittings/${sittingId}/agenda?done=${result.changed ? 'built' : 'unchanged'}`,
        303,
      );
    } catch (error) {
      return refuseOnAgenda(request, reply, sittingId, error, '#agenda-status');
    }
  });

  app.post('/sittings/:id/agenda/items/:itemId/move', edit, (request, reply) =>
    itemEdit(request, reply, {
      form: moveForm,
      field: 'slot',
      done: 'moved',
      keepItem: true,
      run: (f, c) => moveAgendaItem(db, c.sittingId, c.itemId, Number(f.slot), actorCtx(c)),
    }),
  );

  app.post('/sittings/:id/agenda/items/:itemId/swap', edit, (request, reply) =>
    itemEdit(request, reply, {
      form: swapForm,
      field: 'otherItemId',
      done: 'swapped',
      keepItem: true,
      run: (f, c) => swapAgendaItems(db, c.sittingId, c.itemId, Number(f.otherItemId), actorCtx(c)),
    }),
  );

  app.post('/sittings/:id/agenda/items/:itemId/defer', edit, (request, reply) =>
    itemEdit(request, reply, {
      form: deferForm,
      field: 'reason',
      done: 'deferred',
      keepItem: false,
      run: (f, c) => deferAgendaItem(db, c.sittingId, c.itemId, f.reason, actorCtx(c)),
    }),
  );

  app.post('/sittings/:id/agenda/items/:itemId/pin', edit, (request, reply) =>
    itemEdit(request, reply, {
      form: null,
      field: 'pin',
      done: 'pinned',
      keepItem: true,
      run: (_f, c) => pinAgendaItem(db, c.sittingId, c.itemId, actorCtx(c)),
    }),
  );

  app.post('/sittings/:id/agenda/items/:itemId/unpin', edit, (request, reply) =>
    itemEdit(request, reply, {
      form: null,
      field: 'pin',
      done: 'unpinned',
      keepItem: true,
      run: (_f, c) => unpinAgendaItem(db, c.sittingId, c.itemId, actorCtx(c)),
    }),
  );

  app.post('/sittings/:id/agenda/publish', edit, async (request, reply) => {
    const sittingId = idParam(request.params);
    try {
      await publishSittingAgenda(db, sittingId, {
        now: app.deps.now(),
        actor: request.principal as Principal,
      });
    } catch (error) {
      return refuseOnAgenda(request, reply, sittingId, error, '#agenda-status');
    }
    return reply.redirect(`/sittings/${sittingId}/agenda?done=published`, 303);
  });
}
