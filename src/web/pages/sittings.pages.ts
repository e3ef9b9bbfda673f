import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { AppError, isAppError } from '../../errors.ts';
import { listHubs } from '../../hubs/hub.repository.ts';
import { staffRoles } from '../context.ts';
import { idParam } from '../params.ts';
import { formErrors, renderPage } from '../render.ts';
import { registerAgendaPages } from './agenda.pages.ts';
import { registerAgendaEditPages } from './agenda-edit.pages.ts';
import {
  defaultRange,
  type HubSittings,
  hubCalendarIcs,
  loadHubSittings,
  resolveRange,
} from './sittings.view.ts';

/*
 * The chair's sittings list: a hub's sittings (planned, published, held, cancelled) in date order,
 * moved ones with the date they moved from and why, and the rule dates not sat on with their reason;
 * each sitting links to its agenda. A hub picker when there are several hubs. Also the hub's
 * iCalendar feed. The hub's own staff read these; schools and agencies are refused by role.
 */

const hubQuery = z.object({
  hub: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .optional(),
});

const statusTags: Record<string, { text: string; classes: string }> = {
  planned: { text: 'Planned', classes: 'govuk-tag--blue' },
  published: { text: 'Published', classes: 'govuk-tag--green' },
  held: { text: 'Held', classes: 'govuk-tag--grey' },
  cancelled: { text: 'Cancelled', classes: 'govuk-tag--red' },
  skipped: { text: 'Not sat', classes: 'govuk-tag--grey' },
};

const longDate = (date: string) => DateTime.fromISO(date).toFormat('cccc d LLLL yyyy');

/** One row per date, sittings and skipped rule dates together, in date order. */
export function sittingRows(list: HubSittings) {
  const zone = list.hub.timezone;
  const time = (iso: string) => DateTime.fromISO(iso, { setZone: true }).setZone(zone).toFormat('HH:mm');
  const rows = [
    ...list.sittings.map((s) => ({
      date: s.date,
      dateText: longDate(s.date),
      times: `${time(s.startsAt)} to ${time(s.endsAt)}`,
      tag: statusTags[s.status]!,
      notes: [
        ...(s.movedFrom === null
          ? []
          : [`Moved from ${longDate(s.movedFrom)}${s.movedReason ? ` (${s.movedReason})` : ''}`]),
        ...(s.status === 'cancelled' && s.statusReason ? [s.statusReason] : []),
        ...(s.status === 'planned'
          ? [s.agendaBuiltAt === null ? 'Agenda not built yet' : 'Draft agenda']
          : []),
      ],
      agendaHref: s.status === 'cancelled' ? null : `/sittings/${s.id}/agenda`,
    })),
    ...list.skipped.map((s) => ({
      date: s.date,
      dateText: longDate(s.date),
      times: null,
      tag: statusTags.skipped!,
      notes: [s.movedTo === null ? s.reason : `${s.reason}: moved to ${longDate(s.movedTo)}`],
      agendaHref: null,
    })),
  ];
  return rows.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

async function showSittings(request: FastifyRequest, reply: FastifyReply) {
  const { db, now } = request.server.deps;
  const query = (request.query ?? {}) as Record<string, unknown>;
  const hubs = await listHubs(db);
  const picked = hubQuery.safeParse(query);
  const hubId =
    picked.success && picked.data.hub ? Number(picked.data.hub) : hubs.length === 1 ? hubs[0]!.id : null;
  const hub = hubs.find((h) => h.id === hubId);
  const hubItems = [
    ...(hub ? [] : [{ value: '', text: 'Choose a hub', selected: true }]),
    ...hubs.map((h) => ({ value: String(h.id), text: h.name, selected: h.id === hubId })),
  ];
  const values = {
    from: typeof query.from === 'string' ? query.from : '',
    to: typeof query.to === 'string' ? query.to : '',
  };
  const base = { title: 'Sittings', hubs, hubItems, values, showPicker: hubs.length > 1 };
  if (hub === undefined) {
    // A hub id that names no hub is a missing page, like any other id.
    if (hubId !== null) throw new AppError('not-found', `There is no hub ${hubId}.`);
    return renderPage(request, reply, 'sittings.njk', { ...base, hub: null });
  }
  let range: { from: string; to: string };
  let errors: ReturnType<typeof formErrors> | null = null;
  try {
    range = resolveRange({ from: values.from || undefined, to: values.to || undefined }, now(), hub.timezone);
  } catch (error) {
    if (!isAppError(error) || error.code !== 'invalid-input') throw error;
    errors = formErrors(error.issues);
    range = defaultRange(now(), hub.timezone);
  }
  const list = await loadHubSittings(db, hub.id, range);
  return renderPage(
    request,
    reply,
    'sittings.njk',
    {
      ...base,
      title: `Sittings of ${hub.name}`,
      hub: list.hub,
      range,
      rows: sittingRows(list),
      calendarHref: `/hubs/${hub.id}/calendar.ics`,
      errorList: errors?.errorList ?? [],
      fieldErrors: errors?.fieldErrors ?? {},
    },
    errors ? 422 : 200,
  );
}

/** Registers the chair's pages: the sittings list, the hub's calendar feed, and the agenda pages and forms. */
export function registerSittingPages(app: FastifyInstance): void {
  app.get('/sittings', { config: { access: staffRoles, cache: true } }, showSittings);

  app.get('/hubs/:id/calendar.ics', { config: { access: staffRoles } }, async (request, reply) => {
    const { db, now, config } = app.deps;
    const hubId = idParam(request.params);
    const at = now();
    const { name, ics } = await hubCalendarIcs(db, hubId, {
      // A year back: a subscribed calendar keeps the recent history.
      from: DateTime.fromJSDate(at).minus({ years: 1 }).toISODate()!,
      stamp: at,
      publicBaseUrl: config.publicBaseUrl,
    });
    const file = `${
      name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '') || 'hub'
    }-sittings.ics`;
    return reply
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="${file}"`)
      .type('text/calendar; charset=utf-8')
      .send(ics);
  });

  registerAgendaPages(app);
  registerAgendaEditPages(app);
}
