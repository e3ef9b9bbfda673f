import type { Allowed, CaseContext, MatrixRow } from './access-matrix.ts';

/*
 * Access rows for the coordinator's allocation queue, the agency's pages and the allocation API: the
 * queue is the coordinator's and the admin's; an agency sees and closes its own cases only and
 * changes its own places. Spread into `accessMatrix`. Routes that decide something get a fresh
 * request (and suggestion or allocation) per case, so each allowed call can succeed.
 */

const queue: Allowed[] = ['admin', 'coordinator'];
const agencies: Allowed[] = ['agencyA', 'agencyB'];
const staff: Allowed[] = ['admin', 'chair', 'coordinator'];

/** A fresh request of school A waiting for a lead; on the world's sitting's agenda when `slot` is set. */
async function freshRequest(c: CaseContext): Promise<number> {
  const family = await c.db
    .insertInto('families')
    .values({ reference: `FAM-AL-${c.n}`, locality: 'north' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { id } = await c.db
    .insertInto('requests')
    .values({
      reference: `EH-AL-${c.n}`,
      hub_id: c.world.hubId,
      kind: 'new',
      family_id: family.id,
      school_id: c.world.schools.A.id,
      referrer_name: 'Matrix',
      referrer_organisation: 'Front door',
      received_at: new Date('2027-02-01T09:00:00Z'),
      status: 'on-agenda',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** Puts the request on the world's sitting's agenda (joining the world's one item). */
async function onAgenda(c: CaseContext, requestId: number): Promise<void> {
  const item = await c.db
    .selectFrom('agenda_items')
    .select('id')
    .where('sitting_id', '=', c.world.sittingId)
    .executeTakeFirstOrThrow();
  await c.db
    .insertInto('agenda_item_requests')
    .values({ agenda_item_id: item.id, sitting_id: c.world.sittingId, request_id: requestId })
    .execute();
}

/** Ids made by a case's `path`, for its `body`. */
const made = new Map<number, { requestId: number; suggestionId?: number }>();

async function freshProposal(c: CaseContext) {
  const requestId = await freshRequest(c);
  const { id } = await c.db
    .insertInto('suggestions')
    .values({
      sitting_id: c.world.sittingId,
      request_id: requestId,
      agency_id: c.world.agencies.A,
      rank: 0,
      score: 0.5,
      breakdown: JSON.stringify({ text: 'matrix' }),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  made.set(c.n, { requestId, suggestionId: id });
}

/**
 * A fresh open allocation of the owner's agency (its active count left alone: other rows, such as the
 * admin's agency edits, expect the world's counts).
 */
async function freshAllocation(c: CaseContext): Promise<number> {
  const requestId = await freshRequest(c);
  const agencyId = c.world.agencies[c.owner];
  const { id } = await c.db
    .insertInto('allocations')
    .values({
      request_id: requestId,
      agency_id: agencyId,
      decided_by_user_id: c.world.users.coordinator,
      decision: 'accepted',
      review_due_on: '2027-06-15',
      ends_by: '2028-03-15',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

const worldAllocation = async (c: CaseContext) =>
  (
    await c.db
      .selectFrom('allocations')
      .select('id')
      .where('request_id', '=', c.world.requests[c.owner])
      .executeTakeFirstOrThrow()
  ).id;

/** The proforma can be sent again: school A has a safeguarding lead. */
async function resendable(c: CaseContext): Promise<string> {
  await c.db
    .updateTable('schools')
    .set({ safeguarding_lead_emails: ['dsl@abbey.test'] })
    .where('id', '=', c.world.schools.A.id)
    .execute();
  return `/sittings/${c.world.sittingId}/proformas/${c.world.proformas.A}/resend`;
}

export const allocationMatrix: Record<string, MatrixRow> = {
  // The coordinator's queue (pages).
  'GET /allocations': { allow: queue },
  'GET /sittings/:id/allocations': {
    allow: queue,
    path: (c) => `/sittings/${c.world.sittingId}/allocations`,
  },
  'POST /sittings/:id/allocations/accept': {
    allow: queue,
    path: async (c) => {
      await freshProposal(c);
      return `/sittings/${c.world.sittingId}/allocations/accept`;
    },
    body: (c) => ({ suggestionId: String(made.get(c.n)?.suggestionId) }),
  },
  'GET /sittings/:id/allocations/requests/:requestId': {
    allow: queue,
    path: (c) => `/sittings/${c.world.sittingId}/allocations/requests/${c.world.requests.A}`,
  },
  'POST /sittings/:id/allocations/requests/:requestId': {
    allow: queue,
    path: async (c) => {
      const requestId = await freshRequest(c);
      await onAgenda(c, requestId);
      return `/sittings/${c.world.sittingId}/allocations/requests/${requestId}`;
    },
    body: (c) => ({ agencyId: String(c.world.agencies.B), reason: 'Matrix override' }),
  },
  'POST /sittings/:id/suggestions': {
    allow: queue,
    path: (c) => `/sittings/${c.world.sittingId}/suggestions`,
  },
  'POST /sittings/:id/proformas/:proformaId/resend': { allow: queue, path: resendable },

  // The agency's pages: its own cases only.
  'GET /agency': { allow: agencies },
  'GET /agency/allocations/:id': {
    allow: ['agency-own'],
    objects: ['A', 'B'],
    path: async (c) => `/agency/allocations/${await worldAllocation(c)}`,
  },
  'POST /agency/allocations/:id/close': {
    allow: ['agency-own'],
    objects: ['A', 'B'],
    path: async (c) => `/agency/allocations/${await freshAllocation(c)}/close`,
    body: () => ({ outcome: 'outcomes-met' }),
  },
  'GET /agency/capacity': { allow: agencies },
  'POST /agency/capacity': { allow: agencies, body: () => ({ places: '20' }) },

  // The API.
  'GET /api/v1/sittings/:id/suggestions': {
    allow: queue,
    path: (c) => `/api/v1/sittings/${c.world.sittingId}/suggestions`,
  },
  'POST /api/v1/sittings/:id/suggestions': {
    allow: queue,
    path: (c) => `/api/v1/sittings/${c.world.sittingId}/suggestions`,
  },
  'POST /api/v1/allocations': {
    allow: queue,
    path: async (c) => {
      await freshProposal(c);
      return '/api/v1/allocations';
    },
    body: (c) => {
      const m = made.get(c.n);
      return { requestId: m?.requestId, agencyId: c.world.agencies.A, suggestionId: m?.suggestionId };
    },
  },
  'GET /api/v1/allocations': { allow: [...staff, ...agencies] },
  'POST /api/v1/allocations/:id/close': {
    allow: [...staff, 'agency-own'],
    objects: ['A', 'B'],
    path: async (c) => `/api/v1/allocations/${await freshAllocation(c)}/close`,
    body: () => ({ outcome: 'outcomes-met' }),
  },
  'PATCH /api/v1/agencies/:id/capacity': {
    allow: ['admin', 'agency-own'],
    objects: ['A', 'B'],
    path: (c) => `/api/v1/agencies/${c.world.agencies[c.owner]}/capacity`,
    body: () => ({ places: 20 }),
  },
};
