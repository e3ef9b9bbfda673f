import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { endSession } from '../../auth/session.service.ts';
import {
  redeemSignInLink,
  requestSignInLink,
  safeRedirect,
  signInLinkUsable,
  signInPolicy,
} from '../../auth/sign-in.service.ts';
import { everyRole } from '../context.ts';
import { cookieNames } from '../cookies.ts';
import { tokenParam } from '../params.ts';
import type { RateLimits } from '../rate-limits.ts';
import { formErrors, renderPage } from '../render.ts';

/*
 * Sign-in by an emailed one-time link. The answer to "email me a link" is the same whether or not
 * the address has an account. Opening the link (GET) changes nothing, because mail scanners open
 * links; its "Continue" button (POST) signs in, with a new session id. Sign-out deletes the session.
 */

const emailForm = z.object({
  email: z
    .string({ error: 'Enter your email address' })
    .trim()
    .min(1, 'Enter your email address')
    .max(320, 'Email address must be 320 characters or fewer')
    .pipe(z.email('Enter an email address in the correct format, like name@example.com')),
});

function expiredLink(reply: Parameters<typeof renderPage>[1], request: Parameters<typeof renderPage>[0]) {
  return renderPage(
    request,
    reply,
    'error.njk',
    {
      title: 'This sign-in link has expired',
      heading: 'This sign-in link has expired or has already been used',
      body: `Sign-in links work once and expire after ${signInPolicy.validMinutes} minutes.`,
      link: { href: '/sign-in', text: 'Get a new sign-in link' },
    },
    404,
  );
}

export function registerSignInPages(app: FastifyInstance, limits: RateLimits): void {
  const { db, config } = app.deps;
  const names = cookieNames(config);

  app.get<{ Querystring: { next?: string; 'signed-out'?: string } }>(
    '/sign-in',
    { config: { access: 'public' } },
    async (request, reply) =>
      renderPage(request, reply, 'sign-in.njk', {
        title: 'Sign in',
        next: safeRedirect(request.query.next),
        signedOut: request.query['signed-out'] !== undefined,
        validMinutes: signInPolicy.validMinutes,
        values: {},
        fieldErrors: {},
      }),
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/sign-in',
    { config: { access: 'public', rateLimit: limits.signInRequest } },
    async (request, reply) => {
      const parsed = emailForm.safeParse(request.body ?? {});
      const next = safeRedirect(request.body?.next);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ field: 'email', message: i.message }));
        return renderPage(
          request,
          reply,
          'sign-in.njk',
          {
            title: 'Sign in',
            next,
            validMinutes: signInPolicy.validMinutes,
            values: { email: typeof request.body?.email === 'string' ? request.body.email : '' },
            ...formErrors(issues),
          },
          422,
        );
      }
      await requestSignInLink(db, {
        email: parsed.data.email,
        redirectTo: next,
        now: app.deps.now(),
        mail: { publicBaseUrl: config.publicBaseUrl, mailFrom: config.mailFrom, timezone: config.timezone },
      });
      // The same call whether or not a link was queued, so the answer reveals nothing.
      app.deps.emailQueued();
      return reply.redirect('/sign-in/check-email', 303);
    },
  );

  app.get('/sign-in/check-email', { config: { access: 'public' } }, async (request, reply) =>
    renderPage(request, reply, 'sign-in-sent.njk', {
      title: 'Check your email',
      validMinutes: signInPolicy.validMinutes,
      // The embedded default writes emails as files: say where (never the link itself).
      fileOutbox:
        config.smtpUrl === null
          ? path.join(path.relative(process.cwd(), config.dataDir) || '.', 'outbox')
          : null,
    }),
  );

  app.get<{ Params: { token: string } }>(
    '/sign-in/:token',
    { config: { access: 'public', rateLimit: limits.tokenLink } },
    async (request, reply) => {
      const token = tokenParam(request.params);
      if (!(await signInLinkUsable(db, token, app.deps.now()))) return expiredLink(reply, request);
      return renderPage(request, reply, 'sign-in-continue.njk', {
        title: 'Continue signing in',
        formAction: `/sign-in/${encodeURIComponent(token)}`,
      });
    },
  );

  app.post<{ Params: { token: string } }>(
    '/sign-in/:token',
    { config: { access: 'public', rateLimit: limits.tokenLink } },
    async (request, reply) => {
      const token = tokenParam(request.params);
      const result = await redeemSignInLink(db, token, app.deps.now());
      if (result.kind === 'link-unusable') return expiredLink(reply, request);
      // A new session id at every sign-in; whatever session this browser had ends now.
      const previous = request.cookies[names.session];
      if (previous !== undefined) await endSession(db, previous);
      // A browser-session cookie: the server enforces the idle and absolute timeouts itself.
      reply.setCookie(names.session, result.sessionId, names.options);
      return reply.redirect(result.redirectTo ?? '/', 303);
    },
  );

  app.post('/sign-out', { config: { access: everyRole } }, async (request, reply) => {
    const id = request.cookies[names.session];
    if (id !== undefined) await endSession(db, id);
    reply.clearCookie(names.session, names.options);
    return reply.redirect('/sign-in?signed-out=1', 303);
  });
}
