import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { renderAgendaCsv, renderAgendaHtml, renderAgendaInvites } from '../../agenda/agenda.render.ts';
import { buildAndStoreAgenda } from '../../agenda/agenda.service.ts';
import { AppError } from '../../errors.ts';
import { type Principal, staffRoles } from '../context.ts';
import { idParam } from '../params.ts';
import type { formErrors } from '../render.ts';
import { renderPage } from '../render.ts';
import {
  type AgendaReview,
  changeRows,
  editRoles,
  loadAgendaReview,
  reviewModel,
  slotChoices,
  swapChoices,
} from './agenda.view.ts';

/*
 * The chair's agenda review of one sitting (the hub's staff read it; the chair and admins edit it):
 * slots in local time with the break, each item's schools, requests and flags, the deferred list,
 * build and publish, what changed since publishing, the printable agenda and the downloads. The
 * forms that change the agenda are in agenda-edit.pages.ts; every change goes through the agenda
 * services, which hold the rules and write the audit log.
 */

type Errors = ReturnType<typeof formErrors>;

const mayEdit = (request: FastifyRequest) =>
  request.principal !== null && editRoles.includes(request.principal.role);

const doneText: Record<string, string> = {
  built: 'The agenda has been built.',
  rebuilt: 'The agenda has been rebuilt.',
  unchanged: 'The agenda was rebuilt and nothing had changed.',
  moved: 'The item has been moved.',
  swapped: 'The items have been swapped.',
  deferred: 'The item has been deferred to the next sitting.',
  pinned: 'The item has been pinned to its slot: a rebuild keeps it there.',
  unpinned: 'The item has been unpinned: a rebuild may place it elsewhere.',
  published: 'The agenda has been published. It is now frozen.',
};

/** Renders the agenda page; edit pages call it to show a refused build or publish. */
export async function showAgenda(
  request: FastifyRequest,
  reply: FastifyReply,
  sittingId: number,
  options: { errors?: Errors; status?: number } = {},
) {
  const review = await loadAgendaReview(request.server.deps.db, request.principal as Principal, sittingId);
  const model = reviewModel(review);
  const query = (request.query ?? {}) as Record<string, unknown>;
  const done = typeof query.done === 'string' ? doneText[query.done] : undefined;
  const itemId = typeof query.item === 'string' ? Number(query.item) : Number.NaN;
  const doneItem = model.items.find((i) => i.id === itemId);
  return renderPage(
    request,
    reply,
    'agenda.njk',
    {
      title: `Agenda for ${model.dateText}`,
      a: model,
      canEdit: mayEdit(request) && model.status === 'planned',
      canBuild: mayEdit(request) && model.status === 'planned',
      canCheckChanges: model.status === 'published',
      done:
        done === undefined
          ? null
          : doneItem
            ? `${done} Family ${doneItem.family} is now at ${doneItem.times}.`
            : done,
      base: `/sittings/${sittingId}`,
      calendarHref: `/hubs/${review.hubId}/calendar.ics`,
      errorList: options.errors?.errorList ?? [],
      backLink: { href: '/sittings', text: 'All sittings' },
    },
    options.status ?? 200,
  );
}

/** Renders one item's page with its edit forms; edit pages call it to show a refused edit. */
export async function showItem(
  request: FastifyRequest,
  reply: FastifyReply,
  sittingId: number,
  itemId: number,
  options: { errors?: Errors; values?: Record<string, string>; status?: number; review?: AgendaReview } = {},
) {
  const review =
    options.review ??
    (await loadAgendaReview(request.server.deps.db, request.principal as Principal, sittingId));
  const model = reviewModel(review);
  const item = model.items.find((i) => i.id === itemId);
  if (item === undefined)
    throw new AppError('not-found', `No agenda item ${itemId} on sitting ${sittingId}.`);
  const values = options.values ?? {};
  return renderPage(
    request,
    reply,
    'agenda-item.njk',
    {
      title: `Family ${item.family}, ${item.times}`,
      a: model,
      item,
      canEdit: mayEdit(request) && model.status === 'planned',
      slotItems: [
        { value: '', text: 'Choose a slot', selected: values.slot === undefined },
        ...slotChoices(review.view, itemId, values.slot),
      ],
      swapItems: [
        { value: '', text: 'Choose an item', selected: values.otherItemId === undefined },
        ...swapChoices(review.view, itemId, values.otherItemId),
      ],
      values,
      base: `/sittings/${sittingId}/agenda/items/${itemId}`,
      errorList: options.errors?.errorList ?? [],
      fieldErrors: options.errors?.fieldErrors ?? {},
      backLink: { href: `/sittings/${sittingId}/agenda#item-${itemId}`, text: 'Back to the agenda' },
    },
    options.status ?? 200,
  );
}

/** The printable agenda is a document of its own: its one inline stylesheet is allowed by hash. */
function sendPrintable(reply: FastifyReply, html: string): FastifyReply {
  const hashes = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map(
    (m) =>
      `'sha256-${createHash('sha256')
        .update(m[1] ?? '')
        .digest('base64')}'`,
  );
  return reply
    .header(
      'content-security-policy',
      `default-src 'none'; style-src ${hashes.join(' ') || "'none'"}; img-src 'self' data:; ` +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    )
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(html);
}

/** The agenda's read-only pages and downloads (the hub's staff), and the item and publish pages (chair, admin). */
export function registerAgendaPages(app: FastifyInstance): void {
  const { db } = app.deps;
  const read = { config: { access: staffRoles } };

  // Read most during a sitting: remembered per person and database snapshot (src/web/page-cache.ts).
  app.get('/sittings/:id/agenda', { config: { access: staffRoles, cache: true } }, async (request, reply) =>
    showAgenda(request, reply, idParam(request.params)),
  );

  app.get(
    '/sittings/:id/agenda/items/:itemId',
    { config: { access: editRoles, cache: true } },
    async (request, reply) =>
      showItem(request, reply, idParam(request.params), idParam(request.params, 'itemId')),
  );

  app.get('/sittings/:id/agenda/publish', { config: { access: editRoles } }, async (request, reply) => {
    const sittingId = idParam(request.params);
    const model = reviewModel(await loadAgendaReview(db, request.principal as Principal, sittingId));
    if (model.status !== 'planned') return reply.redirect(`/sittings/${sittingId}/agenda`, 303);
    return renderPage(request, reply, 'agenda-publish.njk', {
      title: `Publish the agenda for ${model.dateText}`,
      a: model,
      base: `/sittings/${sittingId}`,
      backLink: { href: `/sittings/${sittingId}/agenda`, text: 'Back to the agenda' },
    });
  });

  app.get('/sittings/:id/agenda/changes', read, async (request, reply) => {
    const sittingId = idParam(request.params);
    const review = await loadAgendaReview(db, request.principal as Principal, sittingId);
    const model = reviewModel(review);
    // Only a published agenda is compared: for a draft the same call would rebuild and store it.
    const result =
      model.status === 'published'
        ? await buildAndStoreAgenda(db, sittingId, {
            now: app.deps.now(),
            actor: request.principal as Principal,
          })
        : null;
    return renderPage(request, reply, 'agenda-changes.njk', {
      title: `What changed since publishing: ${model.dateText}`,
      a: model,
      changes: result?.kind === 'frozen' ? changeRows(result.changes, review.view) : null,
      backLink: { href: `/sittings/${sittingId}/agenda`, text: 'Back to the agenda' },
    });
  });

  app.get('/sittings/:id/agenda/print', read, async (request, reply) => {
    const review = await loadAgendaReview(db, request.principal as Principal, idParam(request.params));
    return sendPrintable(reply, renderAgendaHtml(review.view, app.deps.now()));
  });

  app.get('/sittings/:id/agenda.csv', read, async (request, reply) => {
    const review = await loadAgendaReview(db, request.principal as Principal, idParam(request.params));
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="agenda-${review.view.date}.csv"`)
      .type('text/csv; charset=utf-8')
      .send(renderAgendaCsv(review.view));
  });

  app.get('/sittings/:id/agenda/invites/:itemId/:urn', read, async (request, reply) => {
    const review = await loadAgendaReview(db, request.principal as Principal, idParam(request.params));
    const itemId = idParam(request.params, 'itemId');
    const urn = idParam(request.params, 'urn');
    const { mailFrom } = app.deps.config;
    // The same organiser and UID as the emailed invite, so a downloaded copy updates the same event.
    const invite = renderAgendaInvites(review.view, {
      stamp: DateTime.fromJSDate(app.deps.now()).toUTC().toISO()!,
      organizer: /<([^>]+)>/.exec(mailFrom)?.[1] ?? mailFrom,
    }).find((i) => i.itemId === itemId && i.schoolUrn === urn);
    if (invite === undefined)
      throw new AppError('not-found', `No invite for item ${itemId} and school ${urn}.`);
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="${invite.filename}"`)
      .type('text/calendar; charset=utf-8; method=REQUEST')
      .send(invite.ics);
  });
}
