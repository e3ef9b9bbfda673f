import type { Allowed, CaseContext, MatrixRow } from './access-matrix.ts';

/*
 * Access rows for the chair's sittings and agenda routes (pages and API): the hub's staff read; the
 * chair and admins change. Spread into `accessMatrix`.
 */

const staff: Allowed[] = ['admin', 'chair', 'coordinator'];
const chairs: Allowed[] = ['admin', 'chair'];

/** A new planned sitting of the world's hub (its own date per case) with `items` one-slot items. */
async function freshSitting(
  c: CaseContext,
  items = 0,
  pinned = false,
): Promise<{ id: number; items: number[] }> {
  const day = new Date(Date.UTC(2028, 0, 1) + c.n * 86_400_000);
  const { id } = await c.db
    .insertInto('sittings')
    .values({
      hub_id: c.world.hubId,
      date: day.toISOString().slice(0, 10),
      starts_at: new Date(day.getTime() + 9.5 * 3_600_000),
      ends_at: new Date(day.getTime() + 12.5 * 3_600_000),
      slot_count: 6,
      slot_minutes: 30,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const ids: number[] = [];
  for (let slot = 0; slot < items; slot += 1) {
    const family = await c.db
      .insertInto('families')
      .values({ reference: `FAM-M-${c.n}-${slot}`, locality: 'north' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const item = await c.db
      .insertInto('agenda_items')
      .values({ sitting_id: id, sitting_slot_count: 6, slot, family_id: family.id, pinned })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.push(item.id);
  }
  return { id, items: ids };
}

/** The world's one agenda item (request A's family, on the world's sitting). */
const worldItem = async (c: CaseContext) =>
  (
    await c.db
      .selectFrom('agenda_items')
      .select('id')
      .where('sitting_id', '=', c.world.sittingId)
      .executeTakeFirstOrThrow()
  ).id;

let swapWith = 0;

const chairRows = (prefix: '' | '/api/v1'): Record<string, MatrixRow> => ({
  [`POST ${prefix}/sittings/:id/agenda/build`]: {
    allow: chairs,
    path: async (c) => `${prefix}/sittings/${(await freshSitting(c)).id}/agenda/build`,
  },
  [`POST ${prefix}/sittings/:id/agenda/items/:itemId/move`]: {
    allow: chairs,
    path: async (c) => {
      const s = await freshSitting(c, 1);
      return `${prefix}/sittings/${s.id}/agenda/items/${s.items[0]}/move`;
    },
    body: () => ({ slot: prefix ? 3 : '3' }),
  },
  [`POST ${prefix}/sittings/:id/agenda/items/:itemId/swap`]: {
    allow: chairs,
    path: async (c) => {
      const s = await freshSitting(c, 2);
      swapWith = s.items[1] as number;
      return `${prefix}/sittings/${s.id}/agenda/items/${s.items[0]}/swap`;
    },
    // The path runs first: it made the item to swap with.
    body: () => ({ otherItemId: prefix ? swapWith : String(swapWith) }),
  },
  [`POST ${prefix}/sittings/:id/agenda/items/:itemId/defer`]: {
    allow: chairs,
    path: async (c) => {
      const s = await freshSitting(c, 1);
      return `${prefix}/sittings/${s.id}/agenda/items/${s.items[0]}/defer`;
    },
    body: () => ({ reason: 'Matrix check' }),
  },
  [`POST ${prefix}/sittings/:id/agenda/items/:itemId/pin`]: {
    allow: chairs,
    path: async (c) => {
      const s = await freshSitting(c, 1);
      return `${prefix}/sittings/${s.id}/agenda/items/${s.items[0]}/pin`;
    },
  },
  [`POST ${prefix}/sittings/:id/agenda/items/:itemId/unpin`]: {
    allow: chairs,
    path: async (c) => {
      const s = await freshSitting(c, 1, true);
      return `${prefix}/sittings/${s.id}/agenda/items/${s.items[0]}/unpin`;
    },
  },
  [`POST ${prefix}/sittings/:id/agenda/publish`]: {
    allow: chairs,
    path: async (c) => `${prefix}/sittings/${(await freshSitting(c)).id}/agenda/publish`,
  },
});

const chairGets: Record<string, MatrixRow> = {
  'GET /sittings': { allow: staff },
  'GET /hubs/:id/calendar.ics': { allow: staff, path: (c) => `/hubs/${c.world.hubId}/calendar.ics` },
  'GET /sittings/:id/agenda': { allow: staff, path: (c) => `/sittings/${c.world.sittingId}/agenda` },
  'GET /sittings/:id/agenda/items/:itemId': {
    allow: chairs,
    path: async (c) => `/sittings/${c.world.sittingId}/agenda/items/${await worldItem(c)}`,
  },
  'GET /sittings/:id/agenda/publish': {
    allow: chairs,
    path: (c) => `/sittings/${c.world.sittingId}/agenda/publish`,
  },
  'GET /sittings/:id/agenda/changes': {
    allow: staff,
    path: (c) => `/sittings/${c.world.sittingId}/agenda/changes`,
  },
  'GET /sittings/:id/agenda/print': {
    allow: staff,
    path: (c) => `/sittings/${c.world.sittingId}/agenda/print`,
  },
  'GET /sittings/:id/agenda.csv': { allow: staff, path: (c) => `/sittings/${c.world.sittingId}/agenda.csv` },
  'GET /sittings/:id/agenda/invites/:itemId/:urn': {
    allow: staff,
    path: async (c) =>
      `/sittings/${c.world.sittingId}/agenda/invites/${await worldItem(c)}/${c.world.schools.A.urn}`,
  },
  'GET /api/v1/hubs/:id/sittings': { allow: staff, path: (c) => `/api/v1/hubs/${c.world.hubId}/sittings` },
  'GET /api/v1/sittings/:id': { allow: staff, path: (c) => `/api/v1/sittings/${c.world.sittingId}` },
  'GET /api/v1/sittings/:id/agenda': {
    allow: staff,
    path: (c) => `/api/v1/sittings/${c.world.sittingId}/agenda`,
  },
};

export const chairMatrix: Record<string, MatrixRow> = {
  ...chairGets,
  ...chairRows(''),
  ...chairRows('/api/v1'),
};
