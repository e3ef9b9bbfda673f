import { createHmac } from 'node:crypto';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { looksLikeSecret, randomSecret, sameSecret } from '../auth/secret.ts';
import type { Config } from '../config.ts';

/*
 * Cookies and CSRF. The session cookie holds a random session id (the database stores its hash).
 * Forms carry a synchronizer token: the session's own CSRF secret when signed in; before sign-in,
 * an HMAC (keyed by SESSION_SECRET) of a random value in a second cookie (signed double submit).
 */

export interface CookieNames {
  session: string;
  anonymous: string;
  options: CookieSerializeOptions;
}

/** Cookie names and flags: `__Host-` names and Secure when the service is served over https. */
export function cookieNames(config: Pick<Config, 'publicBaseUrl'>): CookieNames {
  const secure = config.publicBaseUrl.startsWith('https:');
  return {
    session: secure ? '__Host-hub_session' : 'hub_session',
    anonymous: secure ? '__Host-hub_csrf' : 'hub_csrf',
    options: { path: '/', httpOnly: true, sameSite: 'lax', secure },
  };
}

/** The form field every page form posts its token in. */
export const csrfField = '_csrf';

const anonymousValue = Symbol('anonymousCsrfValue');
type WithAnon = FastifyRequest & { [anonymousValue]?: string };

function anonymousToken(secret: string, value: string): string {
  return createHmac('sha256', secret).update(`anonymous-form:${value}`).digest('base64url');
}

/**
 * The CSRF token to put in this page's forms. Before sign-in it sets the anonymous cookie when the
 * visitor has none yet.
 */
export function csrfTokenFor(request: FastifyRequest, reply: FastifyReply): string {
  if (request.session) return request.session.csrfToken;
  const { config } = request.server.deps;
  const names = cookieNames(config);
  const r = request as WithAnon;
  let value = r[anonymousValue] ?? request.cookies[names.anonymous];
  if (value === undefined || !looksLikeSecret(value)) {
    value = randomSecret();
    reply.setCookie(names.anonymous, value, names.options);
  }
  r[anonymousValue] = value;
  return anonymousToken(config.sessionSecret, value);
}

/** Whether the posted form's token matches the session's (or the anonymous cookie's). */
export function csrfValid(request: FastifyRequest): boolean {
  const body = request.body as Record<string, unknown> | undefined;
  const posted = body?.[csrfField];
  if (typeof posted !== 'string' || posted.length === 0) return false;
  if (request.session) return sameSecret(posted, request.session.csrfToken);
  const value = request.cookies[cookieNames(request.server.deps.config).anonymous];
  if (value === undefined || !looksLikeSecret(value)) return false;
  return sameSecret(posted, anonymousToken(request.server.deps.config.sessionSecret, value));
}
