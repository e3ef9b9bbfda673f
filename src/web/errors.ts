import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode, type FieldIssue, isAppError } from '../errors.ts';
import { renderPage } from './render.ts';

/*
 * The one place where errors meet HTTP. AppError codes map to statuses; the API answers
 * application/problem+json (RFC 9457) naming each bad field in `errors`; pages show a GOV.UK error
 * page. Fastify's own errors (bad JSON, wrong content type, body too large) and the rate limiter's
 * 429 are mapped here too.
 */

/** HTTP status and title for each error code; the API docs page lists these as the problem types. */
export const problemTypes: Record<ErrorCode | 'rate-limited', { status: number; title: string }> = {
  'invalid-input': { status: 422, title: 'The request has invalid fields' },
  'invalid-config': { status: 500, title: 'The service is misconfigured' },
  'not-found': { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict with the current state' },
  forbidden: { status: 403, title: 'Forbidden' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  unavailable: { status: 503, title: 'A dependency is unavailable; retry later' },
  internal: { status: 500, title: 'Internal error' },
  'rate-limited': { status: 429, title: 'Too many requests' },
};

export type ProblemType = keyof typeof problemTypes;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: Array<{ field: string; message: string }>;
}

export function isApiPath(url: string): boolean {
  // The API's docs are a page for people: it knows who is signed in and errors as pages.
  return (url === '/api' || url.startsWith('/api/')) && !/^\/api\/docs(?:[/?#]|$)/.test(url);
}

/** Normalises anything thrown into a problem type, detail and field issues. */
export function classify(error: unknown): { type: ProblemType; detail: string; issues: FieldIssue[] } {
  if (isAppError(error)) return { type: error.code, detail: error.message, issues: error.issues };
  const e = error as Partial<FastifyError>;
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 429)
    return {
      type: 'rate-limited',
      detail: 'Too many attempts: wait a few minutes and try again',
      issues: [],
    };
  if (status === 404) return { type: 'not-found', detail: 'Not found', issues: [] };
  if (status >= 400 && status < 500) {
    // Fastify's own client errors: malformed JSON, unsupported content type, body too large.
    return {
      type: 'invalid-input',
      detail: e.message ?? 'Bad request',
      issues: [{ field: '(body)', message: e.message ?? 'is not acceptable' }],
    };
  }
  return { type: 'internal', detail: 'Something went wrong on our side; it has been logged', issues: [] };
}

/** The problem+json body for an error. `type` is a link into the API docs page. */
export function problemFor(error: unknown, publicBaseUrl: string): Problem {
  const { type, detail, issues } = classify(error);
  const { status, title } = problemTypes[type];
  return {
    type: `${publicBaseUrl}/api/docs#problem-${type}`,
    title,
    status,
    detail,
    errors: issues.map((i) => ({ field: i.field, message: i.message })),
  };
}

/** Sends a problem+json response. */
export function sendProblem(reply: FastifyReply, error: unknown): FastifyReply {
  const problem = problemFor(error, reply.server.deps.config.publicBaseUrl);
  if (problem.status === 401) reply.header('www-authenticate', 'Bearer realm="allocation-hub"');
  return reply.status(problem.status).type('application/problem+json; charset=utf-8').send(problem);
}

const pageMessages: Partial<Record<ProblemType, { heading: string; body: string }>> = {
  'not-found': {
    heading: 'Page not found',
    body: 'If you typed the web address, check it is correct. If you followed a link, it may have expired.',
  },
  forbidden: { heading: 'You cannot see this page', body: 'Your role does not give access to this page.' },
  conflict: {
    heading: 'That has already changed',
    body: 'Someone else changed this first. Go back and reload the page.',
  },
  'rate-limited': { heading: 'Too many attempts', body: 'Wait a few minutes, then try again.' },
  'invalid-input': {
    heading: 'There is a problem with the request',
    body: 'Go back and check what you entered.',
  },
  unavailable: { heading: 'Sorry, the service is unavailable', body: 'Try again in a few minutes.' },
};

/** Renders the error page for an error (pages, not the API). */
export function sendErrorPage(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const { type, issues } = classify(error);
  const { status } = problemTypes[type];
  const message = pageMessages[type] ?? {
    heading: 'Sorry, there is a problem with the service',
    body: 'Try again later. Nothing you entered has been saved.',
  };
  return renderPage(request, reply, 'error.njk', { title: message.heading, ...message, issues }, status);
}

/** Installs the error and not-found handlers. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { type } = classify(error);
    if (problemTypes[type].status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: type }, 'request refused');
    if (isApiPath(request.url)) return sendProblem(reply, error);
    try {
      return sendErrorPage(request, reply, error);
    } catch (renderError) {
      request.log.error({ err: renderError }, 'error page failed');
      return reply
        .status(500)
        .type('text/plain; charset=utf-8')
        .send('Sorry, there is a problem with the service.');
    }
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new AppError('not-found', `No route ${request.method} ${request.url.split('?')[0]}`);
    return isApiPath(request.url) ? sendProblem(reply, error) : sendErrorPage(request, reply, error);
  });
}
