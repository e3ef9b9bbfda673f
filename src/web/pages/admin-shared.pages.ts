import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor, Role } from '../../actor.ts';
import { isIsoDate } from '../../domain/working-days.ts';
import { AppError, type FieldIssue, isAppError } from '../../errors.ts';
import type { Principal } from '../context.ts';
import { formErrors, renderPage } from '../render.ts';

/*
 * Pieces shared by the admin pages: the access rule, the admin sub-navigation, form values kept as
 * typed, GOV.UK error summaries with field labels, date inputs, list paging. (Named *.pages.ts
 * only to sit with the admin page modules.)
 */

/** Every admin page and form: admins only (others get 403, visitors are sent to sign in). */
export const adminOnly = { config: { access: ['admin'] as readonly Role[] } };

const sections = [
  { href: '/admin', text: 'Overview' },
  { href: '/admin/hubs', text: 'Hubs' },
  { href: '/admin/closures', text: 'Closures' },
  { href: '/admin/schools', text: 'Schools' },
  { href: '/admin/agencies', text: 'Agencies' },
  { href: '/admin/users', text: 'People' },
  { href: '/admin/needs', text: 'Needs' },
  { href: '/admin/audit', text: 'Audit log' },
  { href: '/admin/outbox', text: 'Emails' },
  { href: '/admin/queue', text: 'Queue health' },
];

/** The admin sub-navigation with the current section marked. */
export function adminSections(path: string) {
  return sections.map((s) => ({
    ...s,
    current: s.href === '/admin' ? path === '/admin' : path === s.href || path.startsWith(`${s.href}/`),
  }));
}

/** Renders `templates/pages/admin/<name>` with the admin sub-navigation. */
export function renderAdmin(
  request: FastifyRequest,
  reply: FastifyReply,
  name: string,
  context: Record<string, unknown>,
  status = 200,
): FastifyReply {
  const path = request.url.split('?')[0] ?? '/admin';
  return renderPage(
    request,
    reply,
    `admin/${name}`,
    { adminSections: adminSections(path), ...context },
    status,
  );
}

/** The signed-in admin (the access rule guarantees one). */
export const principalOf = (request: FastifyRequest): Principal => request.principal as Principal;

/** The posted form's string fields (and string lists for repeated names), minus the CSRF token. */
export function postedForm(body: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (typeof body !== 'object' || body === null) return out;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (key === '_csrf') continue;
    if (typeof value === 'string') out[key] = value;
    else if (Array.isArray(value)) out[key] = value.filter((v): v is string => typeof v === 'string');
  }
  return out;
}

/** One string field of a posted form ('' when absent or repeated). */
export const field = (form: Record<string, string | string[]>, name: string): string => {
  const v = form[name];
  return typeof v === 'string' ? v : '';
};

/** A repeated field (checkboxes) as a list. */
export const fieldList = (form: Record<string, string | string[]>, name: string): string[] => {
  const v = form[name];
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
};

/**
 * GOV.UK error summary and field messages: each message starts with the field's label; a dotted
 * path (`reminderCadence.1`) belongs to its first segment. `hrefFor` maps a field to the input's id.
 */
export function labelledErrors(
  issues: FieldIssue[],
  labels: Record<string, string>,
  hrefFor: (field: string) => string = (f) => f,
) {
  return formErrors(
    issues.map((issue) => {
      const base = issue.field.split('.')[0] ?? issue.field;
      const message = issue.message.startsWith('Invalid input') ? 'is required' : issue.message;
      const label = labels[base];
      return { field: base, message: label ? `${label}: ${message}` : `${base}: ${message}` };
    }),
    hrefFor,
  );
}

/** Form values for a GOV.UK date input named `prefix` (prefix-day, -month, -year) from 'YYYY-MM-DD'. */
export function dateBoxes(prefix: string, date: string | null | undefined): Record<string, string> {
  const [y, m, d] = (date ?? '').split('-');
  return date
    ? {
        [`${prefix}-day`]: String(Number(d)),
        [`${prefix}-month`]: String(Number(m)),
        [`${prefix}-year`]: y ?? '',
      }
    : {};
}

/**
 * Reads a GOV.UK date input: 'YYYY-MM-DD', null when every box is blank, or an issue message
 * when the boxes do not make a real date.
 */
export function dateFromBoxes(
  form: Record<string, string | string[]>,
  prefix: string,
): { kind: 'date'; date: string } | { kind: 'blank' } | { kind: 'invalid'; message: string } {
  const [d, m, y] = ['day', 'month', 'year'].map((part) => field(form, `${prefix}-${part}`).trim());
  if (!d && !m && !y) return { kind: 'blank' };
  if (!/^\d{1,2}$/.test(d ?? '') || !/^\d{1,2}$/.test(m ?? '') || !/^\d{4}$/.test(y ?? ''))
    return {
      kind: 'invalid',
      message: 'must be a real date with a day, month and 4-digit year, for example 6 1 2027',
    };
  const date = `${y}-${(m as string).padStart(2, '0')}-${(d as string).padStart(2, '0')}`;
  return isIsoDate(date)
    ? { kind: 'date', date }
    : { kind: 'invalid', message: 'must be a real date, for example 6 1 2027' };
}

/** A whole number typed in a form: the number, undefined when blank, or the text as typed (refused later). */
export function typedInt(text: string): { kind: 'int'; value: number } | { kind: 'blank' } | { kind: 'bad' } {
  const t = text.trim();
  if (t === '') return { kind: 'blank' };
  return /^-?\d{1,6}$/.test(t) ? { kind: 'int', value: Number(t) } : { kind: 'bad' };
}

/** A short digest of validated values: a Save must carry the digest of the values it previewed. */
export function digestOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 22);
}

export const pageSize = 25;

/** Search text and page number from a list page's query string. */
export function listQuery(query: unknown): { q: string; page: number } {
  const raw = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
  const q = typeof raw.q === 'string' ? raw.q.trim().slice(0, 100) : '';
  const n = typeof raw.page === 'string' && /^[1-9]\d{0,4}$/.test(raw.page) ? Number(raw.page) : 1;
  return { q, page: n };
}

/** GOV.UK pagination for an offset list (null when everything fits on one page). */
export function pagination(
  path: string,
  q: string,
  page: number,
  total: number,
  extra: Record<string, string> = {},
) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  if (pages === 1) return null;
  const href = (n: number) =>
    `${path}?${new URLSearchParams({ ...(q ? { q } : {}), ...extra, page: String(n) })}`;
  const items = [];
  for (let n = 1; n <= pages; n += 1)
    if (n === 1 || n === pages || Math.abs(n - page) <= 1)
      items.push({ number: n, href: href(n), current: n === page });
    else if (items.at(-1)?.ellipsis !== true) items.push({ ellipsis: true });
  return {
    items,
    previous: page > 1 ? { href: href(page - 1) } : undefined,
    next: page < pages ? { href: href(page + 1) } : undefined,
  };
}

/** A small whole number from the query string (for result banners), else null. */
export function queryCount(query: unknown, name: string): number | null {
  const v = (query as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' && /^\d{1,6}$/.test(v) ? Number(v) : null;
}

/** A posted form: string fields, and lists for repeated names. */
export type Form = Record<string, string | string[]>;

/** One editable kind of record: where it lives, how its form maps to the service, and its labels. */
export interface Editable<K> {
  base: string;
  noun: string;
  template: string;
  labels: Record<string, string>;
  key(params: unknown): K;
  values(key: K): Promise<Record<string, unknown> | null>;
  create(actor: Actor, form: Form): Promise<unknown>;
  update(actor: Actor, key: K, form: Form): Promise<void>;
  options(): Promise<Record<string, unknown>>;
  /** More context for the form's page, e.g. a record's status (null key: a new record). */
  context?: (key: K | null, request: FastifyRequest) => Promise<Record<string, unknown>>;
  /** The posted form as values to show again (default: as posted). */
  kept?: (form: Form) => Record<string, unknown>;
}

/** Registers GET and POST of `<base>/new` and `<base>/:id` for one editable kind. */
export function registerEditable<K extends string | number>(app: FastifyInstance, kind: Editable<K>): void {
  const show = async (
    request: FastifyRequest,
    reply: FastifyReply,
    key: K | null,
    values: Record<string, unknown>,
    issues: FieldIssue[] = [],
  ) => {
    const errors = labelledErrors(issues, kind.labels);
    const saved = request.method === 'GET' && (request.query as Record<string, unknown>).saved === '1';
    return renderAdmin(
      request,
      reply,
      kind.template,
      {
        title: key === null ? `Add ${kind.noun}` : `Edit ${kind.noun}`,
        isNew: key === null,
        formAction: key === null ? `${kind.base}/new` : `${kind.base}/${encodeURIComponent(String(key))}`,
        values,
        fieldErrors: errors.fieldErrors,
        errorList: errors.errorList,
        saved,
        backLink: { href: kind.base, text: 'Back to the list' },
        ...(await kind.options()),
        ...(kind.context ? await kind.context(key, request) : {}),
      },
      errors.errorList.length > 0 ? 422 : 200,
    );
  };
  const load = async (key: K) => {
    const values = await kind.values(key);
    if (values === null) throw new AppError('not-found', `No ${kind.noun} ${key}`);
    return values;
  };
  const kept = kind.kept ?? ((form: Form) => form);
  const refused = (error: unknown) => isAppError(error) && error.code === 'invalid-input';

  app.get(`${kind.base}/new`, adminOnly, (request, reply) => show(request, reply, null, {}));
  app.post(`${kind.base}/new`, adminOnly, async (request, reply) => {
    const form = postedForm(request.body);
    try {
      await kind.create(principalOf(request), form);
      return reply.redirect(`${kind.base}?added=1`, 303);
    } catch (error) {
      if (refused(error)) return show(request, reply, null, kept(form), (error as AppError).issues);
      throw error;
    }
  });
  app.get(`${kind.base}/:id`, adminOnly, async (request, reply) => {
    const key = kind.key(request.params);
    return show(request, reply, key, await load(key));
  });
  app.post(`${kind.base}/:id`, adminOnly, async (request, reply) => {
    const key = kind.key(request.params);
    await load(key);
    const form = postedForm(request.body);
    try {
      await kind.update(principalOf(request), key, form);
      return reply.redirect(`${kind.base}/${encodeURIComponent(String(key))}?saved=1`, 303);
    } catch (error) {
      if (refused(error)) return show(request, reply, key, kept(form), (error as AppError).issues);
      throw error;
    }
  });
}
