import type { Allowed, CaseContext, MatrixRow } from './access-matrix.ts';

/*
 * Access rows for the admin's pages and API (hubs, closures, schools, agencies, people, needs, the
 * audit log, emails, queue health): admins only. Bodies are valid, so the admin's case succeeds
 * (2xx or a redirect); routes that change one object get a fresh one per case. Spread into
 * `accessMatrix`. (Without Redis, /admin/queues is not mounted; web-admin-ops.test.ts covers it.)
 */

const admins: Allowed[] = ['admin'];

async function freshClosure(c: CaseContext): Promise<number> {
  const day = new Date(Date.UTC(2029, 0, 1) + c.n * 86_400_000).toISOString().slice(0, 10);
  const { id } = await c.db
    .insertInto('closures')
    .values({ hub_id: c.world.hubId, starts_on: day, ends_on: day, reason: 'Matrix closure' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

async function freshFailedEmail(c: CaseContext): Promise<number> {
  const { id } = await c.db
    .insertInto('email_outbox')
    .values({
      idempotency_key: `matrix-failed:${c.n}`,
      template: 'sign-in-link',
      to_address: `matrix${c.n}@council.test`,
      params: '{}',
      scheduled_for: new Date('2027-03-14T09:00:00Z'),
      state: 'failed',
      message_id: `<matrix-${c.n}@hub.test>`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

async function freshUser(c: CaseContext): Promise<number> {
  const { id } = await c.db
    .insertInto('users')
    .values({ email: `matrix-user-${c.n}@council.test`, display_name: 'Matrix person', role: 'chair' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** The hub form (a preview: nothing is written) of the world's hub. */
const hubPreview = () => ({
  name: 'Test hub',
  rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=WE',
  'firstSitting-day': '3',
  'firstSitting-month': '3',
  'firstSitting-year': '2027',
  startTime: '09:30',
  slotsPerSitting: '6',
  action: 'preview',
});

const schoolForm = (c: CaseContext) => ({
  URN: String(300000 + c.n),
  EstablishmentName: `Matrix School ${c.n}`,
  Locality: 'north',
});

const agencyForm = (name: string) => ({
  Name: name,
  Kind: 'youth',
  Specialisms: 'parenting',
  CityWide: 'yes',
  MinAge: '0',
  MaxAge: '18',
  Capacity: '10',
  ContactEmail: 'matrix@agency.test',
});

const simple = [
  '/admin',
  '/admin/hubs',
  '/admin/hubs/new',
  '/admin/closures',
  '/admin/audit',
  '/admin/outbox',
  '/admin/queue',
]
  .concat(['schools', 'agencies', 'needs', 'users'].flatMap((k) => [`/admin/${k}`, `/admin/${k}/new`]))
  .map((path) => [`GET ${path}`, { allow: admins }] as const);

export const adminMatrix: Record<string, MatrixRow> = {
  ...Object.fromEntries(simple),
  'GET /admin/hubs/:id': { allow: admins, path: (c) => `/admin/hubs/${c.world.hubId}` },
  'POST /admin/hubs/new': { allow: admins, body: hubPreview },
  'POST /admin/hubs/:id': { allow: admins, path: (c) => `/admin/hubs/${c.world.hubId}`, body: hubPreview },
  'POST /admin/closures': {
    allow: admins,
    body: (c) => ({
      hubId: String(c.world.hubId),
      'from-day': '1',
      'from-month': '6',
      'from-year': String(2030 + (c.n % 50)),
      reason: 'Matrix closure',
    }),
  },
  'POST /admin/closures/:id/remove': {
    allow: admins,
    path: async (c) => `/admin/closures/${await freshClosure(c)}/remove`,
  },
  'GET /admin/schools/:id': { allow: admins, path: (c) => `/admin/schools/${c.world.schools.A.id}` },
  'POST /admin/schools/new': { allow: admins, body: schoolForm },
  'POST /admin/schools/:id': {
    allow: admins,
    path: (c) => `/admin/schools/${c.world.schools.A.id}`,
    body: () => ({ URN: '100001', EstablishmentName: 'Abbey Primary School', Locality: 'north' }),
  },
  'GET /admin/agencies/:id': { allow: admins, path: (c) => `/admin/agencies/${c.world.agencies.B}` },
  'POST /admin/agencies/new': { allow: admins, body: (c) => agencyForm(`Matrix agency ${c.n}`) },
  'POST /admin/agencies/:id': {
    allow: admins,
    path: (c) => `/admin/agencies/${c.world.agencies.B}`,
    body: () => agencyForm('Youth South'),
  },
  'GET /admin/needs/:id': { allow: admins, path: () => '/admin/needs/parenting' },
  'POST /admin/needs/new': { allow: admins, body: (c) => ({ code: `matrix-${c.n}`, label: 'Matrix need' }) },
  'POST /admin/needs/:id': {
    allow: admins,
    path: () => '/admin/needs/parenting',
    body: () => ({ label: 'Parenting support' }),
  },
  'GET /admin/users/:id': { allow: admins, path: (c) => `/admin/users/${c.world.users.chair}` },
  'POST /admin/users/new': {
    allow: admins,
    body: (c) => ({ email: `matrix-new-${c.n}@council.test`, displayName: 'Matrix person', role: 'chair' }),
  },
  'POST /admin/users/:id': {
    allow: admins,
    path: async (c) => `/admin/users/${await freshUser(c)}`,
    body: (c) => ({ email: `matrix-user-${c.n}@council.test`, displayName: 'Matrix renamed', role: 'chair' }),
  },
  'POST /admin/users/:id/deactivate': {
    allow: admins,
    path: async (c) => `/admin/users/${await freshUser(c)}/deactivate`,
  },
  'POST /admin/users/:id/reactivate': {
    allow: admins,
    path: async (c) => `/admin/users/${await freshUser(c)}/reactivate`,
  },
  'POST /admin/outbox/:id/retry': {
    allow: admins,
    path: async (c) => `/admin/outbox/${await freshFailedEmail(c)}/retry`,
  },

  'POST /api/v1/hubs': {
    allow: admins,
    body: (c) => ({
      name: `Matrix hub ${c.n}`,
      rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU',
      firstSitting: '2027-03-02',
      startTime: '09:30',
      slotsPerSitting: 4,
    }),
  },
  'PATCH /api/v1/hubs/:id': {
    allow: admins,
    path: (c) => `/api/v1/hubs/${c.world.hubId}`,
    body: () => ({ startTime: '09:30' }),
  },
  'POST /api/v1/closures': {
    allow: admins,
    body: (c) => ({ hubId: c.world.hubId, from: `${2030 + (c.n % 50)}-07-01`, reason: 'Matrix closure' }),
  },
  'DELETE /api/v1/closures/:id': {
    allow: admins,
    path: async (c) => `/api/v1/closures/${await freshClosure(c)}`,
  },
  'POST /api/v1/schools': {
    allow: admins,
    body: (c) => ({ URN: 400000 + c.n, EstablishmentName: `Matrix School ${c.n}`, Locality: 'north' }),
  },
  'PATCH /api/v1/schools/:id': {
    allow: admins,
    path: (c) => `/api/v1/schools/${c.world.schools.B.id}`,
    body: () => ({ PhaseOfEducation: 'Secondary' }),
  },
  'POST /api/v1/agencies': {
    allow: admins,
    body: (c) => ({ ...agencyForm(`Matrix API agency ${c.n}`), Specialisms: ['parenting'], CityWide: true }),
  },
  'PATCH /api/v1/agencies/:id': {
    allow: admins,
    path: (c) => `/api/v1/agencies/${c.world.agencies.B}`,
    body: () => ({ Capacity: 12 }),
  },
  'GET /api/v1/audit': { allow: admins },
  'GET /api/v1/outbox': { allow: admins },
  'POST /api/v1/outbox/:id/retry': {
    allow: admins,
    path: async (c) => `/api/v1/outbox/${await freshFailedEmail(c)}/retry`,
  },
};
