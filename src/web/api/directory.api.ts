import { z } from 'zod';
import { listAgencyRows, listHubRows, listSchoolRows } from '../../directory/directory.repository.ts';
import { AppError } from '../../errors.ts';
import { everyRole } from '../context.ts';
import { apiRoute } from './define.ts';

/*
 * The hub's reference data, readable by every signed-in role: hubs, schools, agencies.
 * Keyset pages by id; the cursor is opaque.
 */

const pageQuery = z.strictObject({
  cursor: z.string().max(50).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

function afterId(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const id = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(id) || id < 0)
    throw new AppError('invalid-input', 'The cursor is not one this service gave out', {
      issues: [{ field: 'cursor', message: 'is not a cursor from a previous page; start again without it' }],
    });
  return id;
}

/** Fetches limit + 1 rows to know whether there is a next page. */
async function page<T extends { id: number }>(
  query: z.output<typeof pageQuery>,
  load: (p: { afterId: number; limit: number }) => Promise<T[]>,
) {
  const rows = await load({ afterId: afterId(query.cursor), limit: query.limit + 1 });
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > query.limit && last ? Buffer.from(String(last.id)).toString('base64url') : null,
  };
}

const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

const hub = z.object({
  id: z.number().int(),
  name: z.string(),
  timezone: z.string(),
  rrule: z.string(),
  firstSitting: z.string(),
  startTime: z.string().describe('Local time HH:MM'),
  slotMinutes: z.number().int(),
  slotsPerSitting: z.number().int(),
  breakAfterSlot: z.number().int().nullable().describe('The break follows this slot, counting from 1'),
  breakMinutes: z.number().int(),
});
const school = z.object({
  id: z.number().int(),
  urn: z.number().int(),
  name: z.string(),
  locality: z.string(),
  phase: z.string().nullable(),
});
const agency = z.object({
  id: z.number().int(),
  name: z.string(),
  kind: z.string(),
  specialisms: z.array(z.string()),
  localities: z.array(z.string()),
  cityWide: z.boolean(),
  minAge: z.number().int(),
  maxAge: z.number().int(),
  capacity: z.number().int(),
  activeCases: z.number().int(),
  active: z.boolean(),
});

export const directoryRoutes = [
  apiRoute({
    method: 'GET',
    path: '/hubs',
    operationId: 'listHubs',
    summary: 'List hubs',
    tag: 'directory',
    roles: everyRole,
    query: pageQuery,
    response: pageOf(hub),
    responseDescription: 'A page of hubs',
    handler: async ({ db, query }) => {
      const p = await page(query, (o) => listHubRows(db, o));
      return {
        body: {
          nextCursor: p.nextCursor,
          items: p.items.map((h) => ({
            id: h.id,
            name: h.name,
            timezone: h.timezone,
            rrule: h.rrule,
            firstSitting: h.first_sitting,
            startTime: h.start_time,
            slotMinutes: h.slot_minutes,
            slotsPerSitting: h.slots_per_sitting,
            breakAfterSlot: h.break_after_slot,
            breakMinutes: h.break_minutes,
          })),
        },
      };
    },
  }),
  apiRoute({
    method: 'GET',
    path: '/schools',
    operationId: 'listSchools',
    summary: 'List schools',
    tag: 'directory',
    roles: everyRole,
    query: pageQuery,
    response: pageOf(school),
    responseDescription: 'A page of schools',
    handler: async ({ db, query }) => ({ body: await page(query, (o) => listSchoolRows(db, o)) }),
  }),
  apiRoute({
    method: 'GET',
    path: '/agencies',
    operationId: 'listAgencies',
    summary: 'List agencies',
    tag: 'directory',
    roles: everyRole,
    query: pageQuery,
    response: pageOf(agency),
    responseDescription: 'A page of agencies',
    handler: async ({ db, query }) => {
      const p = await page(query, (o) => listAgencyRows(db, o));
      return {
        body: {
          nextCursor: p.nextCursor,
          items: p.items.map((a) => ({
            id: a.id,
            name: a.name,
            kind: a.kind,
            specialisms: a.specialisms,
            localities: a.localities,
            cityWide: a.city_wide,
            minAge: a.min_age,
            maxAge: a.max_age,
            capacity: a.capacity,
            activeCases: a.active_cases,
            active: a.active,
          })),
        },
      };
    },
  }),
];
