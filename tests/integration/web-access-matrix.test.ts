import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSession } from '../../src/auth/session.service.ts';
import type { DbHandle } from '../../src/db/client.ts';
import { buildApp } from '../../src/web/app.ts';
import { createTestDatabase, engines } from '../helpers/database.ts';
import {
  createWorld,
  formToken,
  type PrincipalName,
  principals,
  testConfig,
  type World,
  worldNow,
} from '../helpers/web-world.ts';
import { type Allowed, accessMatrix, type CaseContext, type Owner } from './access-matrix.ts';

/*
 * The access matrix: every route the app registers (collected by its onRoute hook), called as each
 * of 8 principals, on its own school's/agency's object and on the other's. Expected outcomes come
 * from access-matrix.ts; a route without a row fails. Pages authenticate by session cookie (with the
 * form's CSRF token on POST), the API by bearer token.
 */

const loose = {
  signInRequest: { max: 1e6, timeWindow: 60_000 },
  tokenLink: { max: 1e6, timeWindow: 60_000 },
  proformaLink: { max: 1e6, timeWindow: 60_000 },
};

function expected(allow: readonly Allowed[], who: PrincipalName, owner: Owner | null): boolean {
  if (allow.includes(who)) return true;
  if (owner === null) return false;
  return (
    (allow.includes('school-own') && who === `school${owner}`) ||
    (allow.includes('agency-own') && who === `agency${owner}`)
  );
}

type Outcome = 'allowed' | 'denied' | 'error';

function outcome(r: LightMyRequestResponse): Outcome {
  if ([401, 403, 404].includes(r.statusCode)) return 'denied';
  // Sent to sign in (with or without the page to come back to) is a denial; any other redirect is the
  // route doing its job (e.g. sign-out's own redirect to /sign-in?signed-out=1).
  if (r.statusCode >= 300 && r.statusCode < 400) {
    const location = String(r.headers.location);
    return location === '/sign-in' || location.startsWith('/sign-in?next=') ? 'denied' : 'allowed';
  }
  if (r.statusCode >= 200 && r.statusCode < 300) return 'allowed';
  return 'error';
}

describe.each(engines)('access matrix on %s', (engine) => {
  let handle: DbHandle;
  let world: World;
  let app: FastifyInstance;

  beforeAll(async () => {
    handle = await createTestDatabase(engine);
    world = await createWorld(handle.db);
    app = await buildApp({
      db: handle.db,
      config: testConfig,
      now: () => worldNow,
      logger: false,
      rateLimits: loose,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await handle.close();
  });

  it('every route answers every principal as the table says: 0 unexpected allows, 0 unexpected denies', async () => {
    const routes = app.hubRoutes;
    const missing = [
      ...new Set(routes.map((r) => `${r.method === 'HEAD' ? 'GET' : r.method} ${r.url}`)),
    ].filter((key) => accessMatrix[key] === undefined);
    expect(missing, 'routes without a row in tests/integration/access-matrix.ts').toEqual([]);
    const stale = Object.keys(accessMatrix).filter(
      (key) => !routes.some((r) => `${r.method} ${r.url}` === key),
    );
    expect(stale, 'rows for routes that no longer exist').toEqual([]);

    let cases = 0;
    let n = 0;
    const unexpectedAllows: string[] = [];
    const unexpectedDenies: string[] = [];
    const errors: string[] = [];
    for (const route of routes) {
      const row = accessMatrix[`${route.method === 'HEAD' ? 'GET' : route.method} ${route.url}`];
      if (row === undefined) continue;
      const api = route.url.startsWith('/api/v1/');
      for (const owner of row.objects ?? [null]) {
        for (const who of principals) {
          n += 1;
          const c: CaseContext = { world, db: handle.db, owner: owner ?? 'A', n };
          const url = row.path ? await row.path(c) : route.url;
          const headers: Record<string, string> = {};
          let payload: Record<string, unknown> | undefined = row.body?.(c);
          if (api) {
            if (who !== 'anonymous') headers.authorization = `Bearer ${world.bearers[who]}`;
          } else {
            // A fresh session per case: some routes end it (sign-out, signing in again).
            let cookie = '';
            let csrf = '';
            if (who !== 'anonymous') {
              const s = await startSession(handle.db, world.users[who], worldNow);
              cookie = `hub_session=${s.sessionId}`;
              csrf = s.csrfToken;
            } else if (route.method === 'POST') {
              ({ cookie, csrf } = await formToken(app, '/sign-in'));
            }
            if (cookie) headers.cookie = cookie;
            if (route.method === 'POST') payload = { ...(payload ?? {}), _csrf: csrf };
          }
          const method = route.method as 'GET' | 'HEAD' | 'POST';
          const response = await app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
          cases += 1;
          const got = outcome(response);
          const want = expected(row.allow, who, owner);
          const label = `${route.method} ${url.replace(/\/(sign-in|proforma)\/[^/?]+/, '/$1/[token]')} as ${who}${owner ? ` (object of ${owner})` : ''}: ${response.statusCode}`;
          if (got === 'error') errors.push(label);
          else if (got === 'allowed' && !want) unexpectedAllows.push(label);
          else if (got === 'denied' && want) unexpectedDenies.push(label);
        }
      }
    }
    console.log(
      `access matrix (${engine}): ${routes.length} routes, ${cases} cases, ` +
        `${unexpectedAllows.length} unexpected allows, ${unexpectedDenies.length} unexpected denies, ${errors.length} errors`,
    );
    expect({ unexpectedAllows, unexpectedDenies, errors }).toEqual({
      unexpectedAllows: [],
      unexpectedDenies: [],
      errors: [],
    });
    expect(cases).toBeGreaterThan(200);
  });
});
