import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { listClosureViews, listHubSummaries } from '../../admin/hub-admin.repository.ts';
import { type HubInput, hubInputValues } from '../../admin/hub-admin.schemas.ts';
import {
  closuresFor,
  createHub,
  loadHubInput,
  parseHubInput,
  previewHub,
  type Replanned,
  updateHub,
} from '../../admin/hub-admin.service.ts';
import { type FieldIssue, isAppError } from '../../errors.ts';
import { idParam } from '../params.ts';
import {
  adminOnly,
  dateBoxes,
  dateFromBoxes,
  digestOf,
  field,
  labelledErrors,
  postedForm,
  principalOf,
  queryCount,
  renderAdmin,
  typedInt,
} from './admin-shared.pages.ts';

/*
 * Hubs: the list, and one form for a new hub and for an existing one. The form previews before it
 * saves, without JavaScript: "Preview sittings" validates (the planner's own schema) and shows the
 * next sittings from the pure planner; only then is "Save" offered, and a Save must carry the
 * digest of exactly the values previewed (change anything and you are shown the new preview first).
 * Saving re-plans the hub's sittings through the calendar service.
 */

/** Labels of the form's fields, for the error summary (same names as the API's fields). */
export const hubFieldLabels: Record<string, string> = {
  name: 'Name',
  timezone: 'Time zone',
  rrule: 'Recurrence rule',
  firstSitting: 'First sitting',
  startTime: 'Start time',
  slotMinutes: 'Slot length',
  slotsPerSitting: 'Slots per sitting',
  breakAfterSlot: 'Break after slot',
  breakMinutes: 'Break length',
  holidayPolicy: 'Bank holidays and closures',
  missingProformaPolicy: 'Missing proformas',
  proformaDeadlineWorkingDays: 'Proforma deadline',
  reminderCadence: 'Reminders',
  agendaLeadWorkingDays: 'Agenda lead time',
};

const intFields = [
  'slotMinutes',
  'slotsPerSitting',
  'breakAfterSlot',
  'breakMinutes',
  'proformaDeadlineWorkingDays',
  'agendaLeadWorkingDays',
] as const;

const textFields = [
  'name',
  'timezone',
  'rrule',
  'startTime',
  'holidayPolicy',
  'missingProformaPolicy',
  'reminderCadence',
];

/** The form's values (as strings) of a hub. */
function formValuesOf(hub: HubInput): Record<string, string> {
  const v = hubInputValues(hub);
  return {
    name: String(v.name ?? ''),
    timezone: String(v.timezone ?? ''),
    rrule: String(v.rrule ?? ''),
    startTime: String(v.startTime ?? ''),
    holidayPolicy: String(v.holidayPolicy ?? 'skip'),
    missingProformaPolicy: String(v.missingProformaPolicy ?? 'flag'),
    reminderCadence: (v.reminderCadence ?? []).join(', '),
    ...Object.fromEntries(intFields.map((f) => [f, v[f] === null || v[f] === undefined ? '' : String(v[f])])),
    ...dateBoxes('firstSitting', v.firstSitting),
  };
}

const newHubValues: Record<string, string> = {
  timezone: 'Europe/London',
  startTime: '09:30',
  slotMinutes: '30',
  slotsPerSitting: '8',
  breakMinutes: '0',
  holidayPolicy: 'skip',
  missingProformaPolicy: 'flag',
  proformaDeadlineWorkingDays: '2',
  reminderCadence: '5, 2, 1',
  agendaLeadWorkingDays: '7',
};

/**
 * The posted form as the API's hub input, plus what the form itself can tell is wrong (a date
 * that is not a date, a number that is not a number) before the planner's schema sees it.
 */
function formToInput(form: Record<string, string | string[]>): {
  input: Record<string, unknown>;
  issues: FieldIssue[];
} {
  const issues: FieldIssue[] = [];
  const input: Record<string, unknown> = { name: field(form, 'name'), rrule: field(form, 'rrule') };
  const zone = field(form, 'timezone').trim();
  if (zone) input.timezone = zone;
  const time = field(form, 'startTime').trim();
  input.startTime = /^\d[:.]\d\d$/.test(time) ? `0${time.replace('.', ':')}` : time.replace('.', ':');
  const first = dateFromBoxes(form, 'firstSitting');
  if (first.kind === 'date') input.firstSitting = first.date;
  else
    issues.push({ field: 'firstSitting', message: first.kind === 'blank' ? 'is required' : first.message });
  for (const name of intFields) {
    const typed = typedInt(field(form, name));
    if (typed.kind === 'int') input[name] = typed.value;
    else if (typed.kind === 'bad') {
      issues.push({ field: name, message: 'must be a whole number' });
      input[name] = field(form, name);
    } else if (name === 'breakAfterSlot') input[name] = null;
  }
  for (const name of ['holidayPolicy', 'missingProformaPolicy'])
    if (field(form, name)) input[name] = field(form, name);
  const cadence = field(form, 'reminderCadence')
    .split(/[\s,;]+/)
    .filter(Boolean);
  if (cadence.some((c) => !/^\d{1,3}$/.test(c)))
    issues.push({
      field: 'reminderCadence',
      message: 'must be whole numbers of working days, for example 5, 2, 1',
    });
  input.reminderCadence = cadence.map(Number);
  return { input, issues };
}

/** The values to put back into the form: exactly what was typed. */
function keptValues(form: Record<string, string | string[]>): Record<string, string> {
  const names = [...textFields, ...intFields, 'firstSitting-day', 'firstSitting-month', 'firstSitting-year'];
  return Object.fromEntries(names.map((n) => [n, field(form, n)]));
}

function replanText(replanned: Replanned): Record<string, string> {
  const r = replanned[0];
  if (r === undefined) return { saved: '1' };
  if (r.kind === 'failed') return { saved: '1', replan: 'failed' };
  const { created, moved, cancelled } = r.summary;
  return { saved: '1', created: String(created), moved: String(moved), cancelled: String(cancelled) };
}

export function registerAdminHubPages(app: FastifyInstance): void {
  const { db, now } = app.deps;

  app.get('/admin/hubs', adminOnly, async (request, reply) => {
    const today = DateTime.fromJSDate(now(), { zone: app.deps.config.timezone }).toISODate() as string;
    return renderAdmin(request, reply, 'hubs.njk', {
      title: 'Hubs',
      hubs: await listHubSummaries(db, today),
    });
  });

  const showForm = async (
    request: FastifyRequest,
    reply: FastifyReply,
    hubId: number | null,
    options: {
      values: Record<string, string>;
      issues?: FieldIssue[];
      preview?: { hub: HubInput; digest: string; changedSincePreview: boolean };
      status?: number;
    },
  ) => {
    const errors = labelledErrors(options.issues ?? [], hubFieldLabels, (f) =>
      f === 'firstSitting' ? 'firstSitting-day' : f,
    );
    const preview = options.preview
      ? previewHub(options.preview.hub, await closuresFor(db, hubId), now())
      : null;
    const stored = hubId === null ? null : await loadHubInput(db, hubId);
    const today = DateTime.fromJSDate(now(), { zone: app.deps.config.timezone }).toISODate() as string;
    const query = request.query as Record<string, unknown>;
    return renderAdmin(
      request,
      reply,
      'hub-form.njk',
      {
        title: stored ? `Hub: ${stored.name}` : 'New hub',
        hubId,
        hubName: stored?.name ?? null,
        values: options.values,
        fieldErrors: errors.fieldErrors,
        errorList: errors.errorList,
        preview,
        previewDigest: options.preview?.digest ?? null,
        changedSincePreview: options.preview?.changedSincePreview ?? false,
        formAction: hubId === null ? '/admin/hubs/new' : `/admin/hubs/${hubId}`,
        closures: hubId === null ? [] : await listClosureViews(db, { hubId, from: today }),
        saved:
          request.method === 'GET' && query.saved === '1'
            ? {
                created: queryCount(query, 'created'),
                moved: queryCount(query, 'moved'),
                cancelled: queryCount(query, 'cancelled'),
                replanFailed: query.replan === 'failed',
              }
            : null,
        backLink: { href: '/admin/hubs', text: 'Back to hubs' },
      },
      options.status ?? (errors.errorList.length > 0 ? 422 : 200),
    );
  };

  app.get('/admin/hubs/new', adminOnly, (request, reply) =>
    showForm(request, reply, null, { values: newHubValues }),
  );

  app.get('/admin/hubs/:id', adminOnly, async (request, reply) => {
    const hubId = idParam(request.params);
    return showForm(request, reply, hubId, { values: formValuesOf(await loadHubInput(db, hubId)) });
  });

  /** Preview or save: the same handler for a new hub (hubId null) and an existing one. */
  const post = async (request: FastifyRequest, reply: FastifyReply, hubId: number | null) => {
    if (hubId !== null) await loadHubInput(db, hubId); // 404 before anything else
    const form = postedForm(request.body);
    const values = keptValues(form);
    const { input, issues } = formToInput(form);
    let hub: HubInput | null = null;
    try {
      hub = parseHubInput(input);
    } catch (error) {
      if (!isAppError(error) || error.code !== 'invalid-input') throw error;
      issues.push(...error.issues);
    }
    if (hub === null || issues.length > 0) return showForm(request, reply, hubId, { values, issues });
    const digest = digestOf(hubInputValues(hub));
    const wantsSave = field(form, 'action') === 'save';
    if (!wantsSave || field(form, 'previewDigest') !== digest)
      return showForm(request, reply, hubId, {
        values,
        preview: { hub, digest, changedSincePreview: wantsSave },
      });
    try {
      const actor = principalOf(request);
      if (hubId === null) {
        const created = await createHub(db, actor, input, now());
        return reply.redirect(
          `/admin/hubs/${created.hubId}?${new URLSearchParams(replanText(created.replanned))}`,
          303,
        );
      }
      const updated = await updateHub(db, actor, hubId, input, now());
      return reply.redirect(
        `/admin/hubs/${hubId}?${new URLSearchParams(replanText(updated.replanned))}`,
        303,
      );
    } catch (error) {
      if (isAppError(error) && error.code === 'invalid-input')
        return showForm(request, reply, hubId, { values, issues: error.issues });
      throw error;
    }
  };

  app.post('/admin/hubs/new', adminOnly, (request, reply) => post(request, reply, null));
  app.post('/admin/hubs/:id', adminOnly, (request, reply) => post(request, reply, idParam(request.params)));
}
