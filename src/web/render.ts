import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FieldIssue } from '../errors.ts';
import { compactHtml } from '../render/compact-html.ts';
import { templates } from '../render/templates.ts';
import { csrfField, csrfTokenFor } from './cookies.ts';
import { navigationFor } from './nav.ts';

/** The service's name, shown in the header and every page title. */
export const serviceName = 'Early Help allocations hub';

/**
 * Renders `templates/pages/<name>` with the layout's context (service name, navigation by role,
 * CSRF token, CSP nonce for govuk-frontend's inline script, the council's zone) and sends it.
 * Pages hold personal data: never cached by browsers or proxies (`no-store`); the server remembers
 * some per person (page-cache.ts). Indentation is dropped (compact-html.ts).
 */
export function renderPage(
  request: FastifyRequest,
  reply: FastifyReply,
  name: string,
  context: Record<string, unknown> = {},
  status = 200,
): FastifyReply {
  const path = request.url.split('?')[0] ?? '/';
  const html = compactHtml(
    templates().render(`pages/${name}`, {
      serviceName,
      cspNonce: reply.cspNonce?.script,
      assetPath: '/assets',
      principal: request.principal,
      displayName: request.session?.displayName ?? null,
      navigation: navigationFor(request.principal, path),
      csrfField,
      csrfToken: csrfTokenFor(request, reply),
      timezone: request.server.deps.config.timezone,
      currentPath: path,
      ...context,
    }),
  );
  return reply.status(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}

/**
 * The GOV.UK error summary list and per-field messages from field issues. `hrefFor` maps a field to
 * the id of the input to focus (e.g. a date's day box); by default the field name is the id.
 */
export function formErrors(
  issues: FieldIssue[],
  hrefFor: (field: string) => string = (f) => f,
): { errorList: Array<{ text: string; href: string }>; fieldErrors: Record<string, { text: string }> } {
  const fieldErrors: Record<string, { text: string }> = {};
  const errorList: Array<{ text: string; href: string }> = [];
  for (const issue of issues) {
    if (fieldErrors[issue.field]) continue;
    fieldErrors[issue.field] = { text: issue.message };
    errorList.push({ text: issue.message, href: `#${hrefFor(issue.field)}` });
  }
  return { errorList, fieldErrors };
}
