import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/auth/secret.ts';
import { loadConfig } from '../../src/config.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { buildApp, redactUrl } from '../../src/web/app.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';
import { deliverDueEmails, signInToken } from '../helpers/outbox.ts';
import {
  cookiesFrom,
  createWorld,
  formToken,
  testConfig,
  type World,
  worldNow,
} from '../helpers/web-world.ts';

const minutes = (n: number) => n * 60_000;

describe.each(engines)('web sign-in and sessions on %s', (engine) => {
  let handle: DbHandle;
  let world: World;
  let app: FastifyInstance;
  let clock = worldNow;
  const at = (ms: number) => {
    clock = new Date(worldNow.getTime() + ms);
  };

  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    world = await createWorld(handle.db);
    app = await buildApp({ db: handle.db, config: testConfig, now: () => clock, logger: false });
  });
  afterAll(async () => {
    await app.close();
    await handle.close();
  });

  /** Asks for a sign-in link as a browser would; returns the redirect and the token emailed, if any. */
  async function askForLink(email: string) {
    const form = await formToken(app, '/sign-in');
    const before = await handle.db.selectFrom('email_outbox').select('id').execute();
    const response = await app.inject({
      method: 'POST',
      url: '/sign-in',
      headers: { cookie: form.cookie },
      payload: { email, _csrf: form.csrf },
    });
    const queued = await handle.db
      .selectFrom('email_outbox')
      .selectAll()
      .where('id', 'not in', before.length ? before.map((b) => b.id) : [0])
      .execute();
    const delivered = await deliverDueEmails(handle.db, {
      now: clock,
      publicBaseUrl: testConfig.publicBaseUrl,
    });
    return { response, queued, token: signInToken(delivered.find((e) => e.to === email.toLowerCase())) };
  }

  it('answers the same whether or not the address has an account, and emails a link only to a real person', async () => {
    at(0);
    const real = await askForLink('DSL@abbey.test');
    const unknown = await askForLink('nobody@nowhere.test');
    for (const r of [real.response, unknown.response]) {
      expect(r.statusCode).toBe(303);
      expect(r.headers.location).toBe('/sign-in/check-email');
      expect(r.body).toBe('');
    }
    expect(unknown.queued).toEqual([]);
    expect(real.queued).toHaveLength(1);
    expect(real.queued[0]).toMatchObject({ template: 'sign-in-link', to_address: 'dsl@abbey.test' });
    // Only the hash is stored: the token itself is nowhere in sign_in_tokens.
    const stored = await handle.db.selectFrom('sign_in_tokens').selectAll().execute();
    expect(stored.map((s) => s.token_hash)).toContain(sha256Hex(real.token as string));
    expect(JSON.stringify(stored)).not.toContain(real.token);
    // An API token's service account cannot receive a sign-in link.
    expect((await askForLink('test-admin@api-token.invalid')).queued).toEqual([]);
    const page = await app.inject({ url: '/sign-in/check-email' });
    expect(page.body).toContain('Check your email');
    expect(page.body).toContain('.hub-test/outbox');
    expect(page.body).not.toContain('/sign-in/');
  });

  it('keeps the typed address and names the field when it is not an email address', async () => {
    const form = await formToken(app, '/sign-in');
    const response = await app.inject({
      method: 'POST',
      url: '/sign-in',
      headers: { cookie: form.cookie },
      payload: { email: 'not-an-address', _csrf: form.csrf },
    });
    expect(response.statusCode).toBe(422);
    expect(response.body).toContain('govuk-error-summary');
    expect(response.body).toContain('href="#email"');
    expect(response.body).toContain('value="not-an-address"');
  });

  it('opening the link changes nothing; Continue signs in once, with a new session, and returns to the page asked for', async () => {
    at(0);
    const form = await formToken(app, '/sign-in?next=/requests');
    await app.inject({
      method: 'POST',
      url: '/sign-in',
      headers: { cookie: form.cookie },
      payload: { email: 'chair@council.test', next: '/requests', _csrf: form.csrf },
    });
    const delivered = await deliverDueEmails(handle.db, {
      now: clock,
      publicBaseUrl: testConfig.publicBaseUrl,
    });
    const token = signInToken(delivered.find((e) => e.to === 'chair@council.test')) as string;
    for (let i = 0; i < 2; i++) {
      const opened = await app.inject({ url: `/sign-in/${token}` });
      expect(opened.statusCode).toBe(200);
      expect(opened.body).toContain('Continue');
    }
    const unused = await handle.db
      .selectFrom('sign_in_tokens')
      .select('used_at')
      .where('token_hash', '=', sha256Hex(token))
      .executeTakeFirstOrThrow();
    expect(unused.used_at).toBeNull();

    const page = await formToken(app, `/sign-in/${token}`, world.sessions.chair.cookie);
    const signedIn = await app.inject({
      method: 'POST',
      url: `/sign-in/${token}`,
      headers: { cookie: page.cookie },
      payload: { _csrf: page.csrf },
    });
    expect(signedIn.statusCode).toBe(303);
    expect(signedIn.headers.location).toBe('/requests');
    const cookie = signedIn.cookies.find((c) => c.name === 'hub_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookie?.secure).toBeFalsy();
    // A new session id, and the browser's previous session has ended.
    expect(`hub_session=${cookie?.value}`).not.toBe(world.sessions.chair.cookie);
    expect(
      (await app.inject({ url: '/', headers: { cookie: world.sessions.chair.cookie } })).statusCode,
    ).toBe(303);
    const home = await app.inject({ url: '/', headers: { cookie: `hub_session=${cookie?.value}` } });
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('Sign out');
    // Single use.
    const again = await formToken(app, '/sign-in');
    const reused = await app.inject({
      method: 'POST',
      url: `/sign-in/${token}`,
      headers: { cookie: again.cookie },
      payload: { _csrf: again.csrf },
    });
    expect(reused.statusCode).toBe(404);
    expect(reused.body).toContain('expired or has already been used');
    const audit = await handle.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'user.%')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['user.sign-in-link-sent', 'user.signed-in', 'user.signed-out']),
    );
  });

  it('a link expires after 15 minutes', async () => {
    at(minutes(60));
    const { token } = await askForLink('coordinator@council.test');
    at(minutes(60 + 14));
    expect((await app.inject({ url: `/sign-in/${token}` })).statusCode).toBe(200);
    at(minutes(60 + 15));
    const late = await app.inject({ url: `/sign-in/${token}` });
    expect(late.statusCode).toBe(404);
    expect(late.body).not.toContain('Continue');
  });

  it('a session ends after 30 idle minutes, and 12 hours after sign-in however busy', async () => {
    const { cookie } = world.sessions.coordinator;
    const get = () => app.inject({ url: '/requests', headers: { cookie } });
    at(minutes(29));
    expect((await get()).statusCode).toBe(200);
    at(minutes(58));
    expect((await get()).statusCode).toBe(200);
    at(minutes(58 + 30));
    const idle = await get();
    expect(idle.statusCode).toBe(303);
    expect(idle.headers.location).toBe('/sign-in?next=%2Frequests');
    expect(
      await handle.db
        .selectFrom('sessions')
        .select('user_id')
        .where('user_id', '=', world.users.coordinator)
        .execute(),
    ).toEqual([]);

    const busy = world.sessions.agencyA.cookie;
    let t = 0;
    for (; t < 12 * 60 - 20; t += 20) {
      at(minutes(t));
      expect((await app.inject({ url: '/requests', headers: { cookie: busy } })).statusCode).toBe(200);
    }
    at(minutes(12 * 60));
    expect((await app.inject({ url: '/requests', headers: { cookie: busy } })).statusCode).toBe(303);
  });

  it('sign-out deletes the session on the server; a form without its token changes nothing', async () => {
    at(0);
    const { cookie, csrf } = world.sessions.schoolB;
    const forged = await app.inject({ method: 'POST', url: '/sign-out', headers: { cookie }, payload: {} });
    expect(forged.statusCode).toBe(403);
    const wrong = await app.inject({
      method: 'POST',
      url: '/sign-out',
      headers: { cookie },
      payload: { _csrf: world.sessions.admin.csrf },
    });
    expect(wrong.statusCode).toBe(403);
    expect((await app.inject({ url: '/', headers: { cookie } })).statusCode).toBe(200);

    const out = await app.inject({
      method: 'POST',
      url: '/sign-out',
      headers: { cookie },
      payload: { _csrf: csrf },
    });
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/sign-in?signed-out=1');
    expect(
      await handle.db
        .selectFrom('sessions')
        .select('user_id')
        .where('user_id', '=', world.users.schoolB)
        .execute(),
    ).toEqual([]);
    expect((await app.inject({ url: '/', headers: { cookie } })).statusCode).toBe(303);
  });

  it('refuses an anonymous form without its double-submit cookie', async () => {
    const form = await formToken(app, '/sign-in');
    const response = await app.inject({
      method: 'POST',
      url: '/sign-in',
      payload: { email: 'a@b.test', _csrf: form.csrf },
    });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('This form has expired');
  });

  it('sends security headers: CSP with a nonce for the one inline script, no framing, no referrer', async () => {
    const response = await app.inject({ url: '/sign-in' });
    const csp = String(response.headers['content-security-policy']);
    const nonce = /<script nonce="([^"]+)">/.exec(response.body)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain(`script-src 'self' 'nonce-${nonce}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.body.match(/<script(?![^>]*\bsrc=)/g)).toHaveLength(1);
    expect(response.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
    });
  });

  it('never writes a token into a log line', () => {
    expect(redactUrl('/sign-in/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')).toBe('/sign-in/[token]');
    expect(redactUrl('/proforma/abc?saved=draft')).toBe('/proforma/[token]?saved=draft');
    expect(redactUrl('/sign-in/check-email')).toBe('/sign-in/check-email');
    expect(redactUrl('/requests/12')).toBe('/requests/12');
  });
});

/**
 * An app of its own over a fresh world, with these settings and at most `signInMax` sign-in link
 * requests a minute per client; the returned object holds it and its database once `beforeAll` has run.
 */
function ownApp(env: Record<string, string>, signInMax: number) {
  const own = {} as { handle: DbHandle; app: FastifyInstance };
  beforeAll(async () => {
    own.handle = await createTestDatabase(engines[0] ?? 'pglite');
    await createWorld(own.handle.db);
    own.app = await buildApp({
      db: own.handle.db,
      config: loadConfig({
        LOG_LEVEL: 'silent',
        SESSION_SECRET: 'test-session-secret-of-at-least-32-characters',
        ...env,
      }),
      now: () => worldNow,
      logger: false,
      rateLimits: { signInRequest: { max: signInMax, timeWindow: 60_000 } },
    });
  });
  afterAll(async () => {
    await own.app.close();
    await own.handle.close();
  });
  return own;
}

describe('web sign-in behind https and its rate limit', () => {
  const own = ownApp({ PUBLIC_BASE_URL: 'https://hub.example.gov.uk' }, 3);
  let handle: DbHandle;
  let app: FastifyInstance;
  beforeAll(() => {
    ({ handle, app } = own);
  });

  it('sets Secure __Host- cookies and signs in through them', async () => {
    const form = await formToken(app, '/sign-in');
    expect(form.cookie).toMatch(/^__Host-hub_csrf=/);
    expect(form.response.cookies[0]?.secure).toBe(true);
    await app.inject({
      method: 'POST',
      url: '/sign-in',
      headers: { cookie: form.cookie },
      payload: { email: 'admin@council.test', _csrf: form.csrf },
    });
    const [email] = await deliverDueEmails(handle.db, {
      now: worldNow,
      publicBaseUrl: 'https://hub.example.gov.uk',
    });
    const url = /https?:\/\/\S+\/sign-in\/[A-Za-z0-9_-]{43}/.exec(email?.text ?? '')?.[0] ?? '';
    expect(url.startsWith('https://hub.example.gov.uk/sign-in/')).toBe(true);
    const path = new URL(url).pathname;
    const page = await formToken(app, path, form.cookie);
    const signedIn = await app.inject({
      method: 'POST',
      url: path,
      headers: { cookie: page.cookie },
      payload: { _csrf: page.csrf },
    });
    expect(signedIn.statusCode).toBe(303);
    const session = signedIn.cookies.find((c) => c.name === '__Host-hub_session');
    expect(session).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(String(signedIn.headers['strict-transport-security'])).toContain('max-age=');
    expect((await app.inject({ url: '/', headers: { cookie: cookiesFrom(signedIn) } })).statusCode).toBe(200);
  });

  it('limits requests for sign-in links per client', async () => {
    const form = await formToken(app, '/sign-in');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await app.inject({
        method: 'POST',
        url: '/sign-in',
        headers: { cookie: form.cookie },
        payload: { email: 'nobody@nowhere.test', _csrf: form.csrf },
      });
      statuses.push(r.statusCode);
      if (r.statusCode === 429) expect(r.body).toContain('Too many attempts');
    }
    // The previous test used one of the three.
    expect(statuses).toEqual([303, 303, 429, 429]);
  });
});

describe('client addresses behind a load balancer (TRUST_PROXY)', () => {
  const own = ownApp({ TRUST_PROXY: '10.0.0.0/8' }, 1);

  const ask = async (remoteAddress: string, forwardedFor: string) => {
    const form = await formToken(own.app, '/sign-in');
    const r = await own.app.inject({
      method: 'POST',
      url: '/sign-in',
      remoteAddress,
      headers: { cookie: form.cookie, 'x-forwarded-for': forwardedFor },
      payload: { email: 'nobody@nowhere.test', _csrf: form.csrf },
    });
    return r.statusCode;
  };

  it('limits each client the trusted proxy names, and ignores what an untrusted sender claims', async () => {
    expect(await ask('10.0.0.5', '203.0.113.1')).toBe(303);
    expect(await ask('10.0.0.5', '203.0.113.1')).toBe(429);
    // Another client through the same load balancer has its own budget.
    expect(await ask('10.0.0.5', '203.0.113.2')).toBe(303);
    // Not from the load balancer: its X-Forwarded-For is not believed, so it cannot dodge the limit.
    expect(await ask('198.51.100.9', '203.0.113.3')).toBe(303);
    expect(await ask('198.51.100.9', '203.0.113.4')).toBe(429);
  });
});
