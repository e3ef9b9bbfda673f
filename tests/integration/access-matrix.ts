import type { Kysely } from 'kysely';
import type { Database } from '../../schema/database.ts';
import { randomSecret, sha256Hex } from '../../src/auth/secret.ts';
import { mintProformaLink, type PrincipalName, type World } from '../helpers/web-world.ts';
import { adminMatrix } from './access-matrix.admin.ts';
import { allocationMatrix } from './access-matrix.allocation.ts';
import { chairMatrix } from './access-matrix.chair.ts';

/*
 * Who may call what: the expected access table of every route, read by web-access-matrix.test.ts.
 * Every route the app registers must have a row here (HEAD shares its GET's row), or the test fails.
 *
 * `allow` lists the principals expected to get through. For routes about one object (`objects`),
 * `school-own` / `agency-own` mean "the school / agency the object belongs to": each case runs once
 * with school A's object and once with school B's, so school A is allowed on A's object and denied on
 * B's, and so on. Everyone not allowed must be denied (401, 403, 404, or a redirect to sign in).
 * `path` and `body` are built afresh for each case (a sign-in link works once).
 */

export type Owner = 'A' | 'B';
export type Allowed = Exclude<PrincipalName, 'anonymous'> | 'anonymous' | 'school-own' | 'agency-own';

export interface CaseContext {
  world: World;
  db: Kysely<Database>;
  owner: Owner;
  /** A number unique to this case (for unique references). */
  n: number;
}

export interface MatrixRow {
  allow: readonly Allowed[];
  objects?: readonly Owner[];
  path?: (c: CaseContext) => string | Promise<string>;
  body?: (c: CaseContext) => Record<string, unknown>;
}

const signedIn: Allowed[] = ['admin', 'chair', 'coordinator', 'schoolA', 'schoolB', 'agencyA', 'agencyB'];
const everyone: Allowed[] = ['anonymous', ...signedIn];
const staff: Allowed[] = ['admin', 'chair', 'coordinator'];
const both: Owner[] = ['A', 'B'];

async function signInToken(c: CaseContext): Promise<string> {
  const token = randomSecret();
  await c.db
    .insertInto('sign_in_tokens')
    .values({
      token_hash: sha256Hex(token),
      user_id: c.world.users.chair,
      created_at: new Date('2027-03-15T09:59:00Z'),
      expires_at: new Date('2027-03-15T10:14:00Z'),
    })
    .execute();
  return token;
}

const proformaLink = async (c: CaseContext) =>
  `/proforma/${await mintProformaLink(c.db, c.world.proformas[c.owner], new Date('2027-03-17T12:30:00Z'))}`;

export const accessMatrix: Record<string, MatrixRow> = {
  // Public, no session lookup.
  'GET /assets/*': { allow: everyone, path: () => '/assets/govuk-frontend.min.css' },
  'GET /healthz': { allow: everyone },
  'GET /readyz': { allow: everyone },
  'GET /api/openapi.json': { allow: everyone },
  'GET /api/docs': { allow: everyone },

  // Sign-in: public by nature.
  'GET /sign-in': { allow: everyone },
  'POST /sign-in': { allow: everyone, body: () => ({ email: 'someone@school.test' }) },
  'GET /sign-in/check-email': { allow: everyone },
  'GET /sign-in/:token': { allow: everyone, path: async (c) => `/sign-in/${await signInToken(c)}` },
  'POST /sign-in/:token': { allow: everyone, path: async (c) => `/sign-in/${await signInToken(c)}` },
  'POST /sign-out': { allow: signedIn },

  // Pages.
  'GET /': { allow: signedIn },
  'GET /requests': { allow: signedIn },
  'GET /requests/:id': {
    allow: [...staff, 'school-own', 'agency-own'],
    objects: both,
    path: (c) => `/requests/${c.world.requests[c.owner]}`,
  },
  // The emailed link is the credential: whoever holds it may use it, signed in or not.
  'GET /proforma/:token': { allow: everyone, objects: both, path: proformaLink },
  'POST /proforma/:token': {
    allow: everyone,
    objects: both,
    path: proformaLink,
    body: () => ({ action: 'draft', teamMembers: 'School nurse' }),
  },
  'GET /proformas/:id': {
    allow: [...staff, 'school-own', 'agency-own'],
    objects: both,
    path: (c) => `/proformas/${c.world.proformas[c.owner]}`,
  },
  'POST /proformas/:id': {
    allow: ['school-own'],
    objects: both,
    path: (c) => `/proformas/${c.world.proformas[c.owner]}`,
    body: () => ({ action: 'draft', teamMembers: 'CAMHS' }),
  },

  // JSON API (bearer tokens).
  'GET /api/v1/requests': { allow: signedIn },
  'GET /api/v1/requests/:id': {
    allow: [...staff, 'school-own', 'agency-own'],
    objects: both,
    path: (c) => `/api/v1/requests/${c.world.requests[c.owner]}`,
  },
  'POST /api/v1/requests': {
    allow: ['admin', 'coordinator'],
    body: (c) => ({
      hubId: c.world.hubId,
      family: { reference: `FAM-M-${c.n}`, locality: 'north' },
      children: [{ dateOfBirth: '2017-04-01' }],
      needs: [{ code: 'parenting', severity: 2 }],
      consent: { given: false },
      referrer: { name: 'Matrix', organisation: 'Front door' },
    }),
  },
  'GET /api/v1/hubs': { allow: signedIn },
  'GET /api/v1/schools': { allow: signedIn },
  'GET /api/v1/agencies': { allow: signedIn },

  // The chair's sittings and agendas.
  ...chairMatrix,

  // Administration.
  ...adminMatrix,

  // Allocations: the coordinator's queue, the agency's pages and the API.
  ...allocationMatrix,
};
