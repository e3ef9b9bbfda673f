import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateApiToken } from '../auth/api-token.service.ts';
import type { ActiveApiToken, SessionRow } from '../auth/auth.repository.ts';
import { type GenerationMemo, generationMemo } from '../auth/principal-memo.ts';
import { resumeSession } from '../auth/session.service.ts';
import { AppError } from '../errors.ts';
import type { Access } from './context.ts';
import { cookieNames, csrfValid } from './cookies.ts';
import { isApiPath } from './errors.ts';
import { renderPage } from './render.ts';

/*
 * Who is calling, and may they. Runs before every handler:
 * 1. pages resolve the principal from the session cookie, the API from `Authorization: Bearer`
 *    (the API never reads cookies, so a browser cannot be tricked into calling it);
 * 2. the route's declared access admits or refuses (pages send anonymous visitors to sign in);
 * 3. every page POST must carry the form's CSRF token.
 * Scoping to a school or agency happens after this, in the repositories.
 */

const unsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Sessions and tokens remembered while the change feed stands still (one pair per app). */
interface Memos {
  sessions: GenerationMemo<SessionRow>;
  tokens: GenerationMemo<ActiveApiToken>;
}

async function resolveSession(request: FastifyRequest, reply: FastifyReply, memos: Memos): Promise<void> {
  const { db, config, now, changes } = request.server.deps;
  const names = cookieNames(config);
  const id = request.cookies[names.session];
  if (id === undefined) return;
  const session = await resumeSession(db, id, now(), memos.sessions.at(changes?.generation() ?? null));
  if (session === null) {
    reply.clearCookie(names.session, names.options);
    return;
  }
  request.session = session;
  request.principal = session.actor;
  request.snapshot = session.snapshot;
}

async function resolveBearer(request: FastifyRequest, memos: Memos): Promise<void> {
  const header = request.headers.authorization;
  if (header === undefined) return;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const { db, now, changes } = request.server.deps;
  const found = match
    ? await authenticateApiToken(
        db,
        match[1] as string,
        now(),
        memos.tokens.at(changes?.generation() ?? null),
      )
    : null;
  if (found === null)
    throw new AppError('unauthenticated', 'The bearer token is not valid (unknown, revoked or malformed)');
  request.principal = found.actor;
  request.snapshot = found.snapshot;
}

function signInRedirect(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
  return reply.redirect(`/sign-in${next}`, 303);
}

/** Installs the principal decorations and the access hook. */
export function registerAuth(app: FastifyInstance): void {
  const memos: Memos = { sessions: generationMemo(), tokens: generationMemo() };
  app.decorateRequest('principal', null);
  app.decorateRequest('session', null);
  app.decorateRequest('snapshot', null);
  app.addHook('preHandler', async (request, reply) => {
    const declared: Access | undefined = request.routeOptions.config.access;
    // The not-found handler has no route of its own: treat it as public so its page knows who you are.
    const access: Access | undefined = declared ?? (request.is404 ? 'public' : undefined);
    if (access === undefined) throw new AppError('internal', `Route ${request.url} declares no access`);
    if (access === 'static') return;
    const api = isApiPath(request.url);
    if (api) await resolveBearer(request, memos);
    else await resolveSession(request, reply, memos);
    if (access !== 'public') {
      if (request.principal === null) {
        if (api) throw new AppError('unauthenticated', 'Send an API token: Authorization: Bearer <token>');
        return signInRedirect(request, reply);
      }
      if (!access.includes(request.principal.role))
        throw new AppError(
          'forbidden',
          `The ${request.principal.role} role cannot use ${request.method} ${request.routeOptions.url}`,
        );
    }
    if (!api && unsafeMethods.has(request.method) && !csrfValid(request)) {
      request.log.info('form refused: CSRF token missing or wrong');
      return renderPage(
        request,
        reply,
        'error.njk',
        {
          title: 'This form has expired',
          heading: 'This form has expired',
          body: 'Nothing was saved. Go back, reload the page and try again.',
        },
        403,
      );
    }
  });
}
