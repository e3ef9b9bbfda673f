import { z } from 'zod';
import { getHub } from '../../hubs/hub.repository.ts';
import { staffRoles } from '../context.ts';
import { loadHubSittings, loadSitting, maxRangeDays, resolveRange } from '../pages/sittings.view.ts';
import { apiRoute } from './define.ts';

/*
 * A hub's sittings and one sitting, for the hub's staff. Dates are the hub's local calendar dates;
 * instants are ISO 8601 with the hub zone's offset. The list is bounded by a date range (at most
 * three years), so it needs no cursor.
 */

const idParams = z.strictObject({ id: z.coerce.number().int().positive().max(2147483647) });

const isoDate = z.iso.date('must be a date YYYY-MM-DD');
const rangeQuery = z.strictObject({
  from: isoDate.optional().describe('First date (inclusive, local). Default: four weeks ago'),
  to: isoDate.optional().describe('Last date (inclusive, local). Default: six months ahead'),
});

const status = z.enum(['planned', 'published', 'held', 'cancelled']);
const sittingFields = {
  id: z.number().int(),
  hubId: z.number().int(),
  date: z.string().describe('Local date YYYY-MM-DD (a moved sitting: its new date)'),
  startsAt: z.string().describe('ISO 8601 with the local offset'),
  endsAt: z.string(),
  status,
  slotCount: z.number().int(),
  slotMinutes: z.number().int(),
  breakAfterSlot: z.number().int().nullable().describe('The break follows this slot, counting from 1'),
  breakMinutes: z.number().int(),
  movedFrom: z.string().nullable().describe("The rule's date when the sitting was moved off it"),
  movedReason: z.string().nullable().describe('Why it was moved (a bank holiday or closure), when known'),
  statusReason: z.string().nullable().describe('Why it was cancelled'),
  agendaBuiltAt: z.string().nullable(),
  publishedAt: z.string().nullable(),
};
const hubRef = z.object({ id: z.number().int(), name: z.string(), timezone: z.string() });

export const hubSittingsResponse = z.object({
  hub: hubRef,
  from: z.string(),
  to: z.string(),
  sittings: z.array(z.object(sittingFields)).describe('Chronological'),
  skipped: z
    .array(
      z.object({
        date: z.string().describe('The rule date not sat on'),
        reason: z.string(),
        cause: z.enum(['bank-holiday', 'closure', 'weekend', 'date-taken', 'no-working-day']),
        movedTo: z.string().nullable().describe('Set when the sitting moved to a date outside the range'),
      }),
    )
    .describe('Rule dates in the range with no sitting, and why (chronological)'),
});

export const sittingResponse = z.object({
  ...sittingFields,
  hub: hubRef,
  slots: z.array(
    z.object({ slot: z.number().int().describe('From 0'), startsAt: z.string(), endsAt: z.string() }),
  ),
});

export const sittingRoutes = [
  apiRoute({
    method: 'GET',
    path: '/hubs/:id/sittings',
    operationId: 'listHubSittings',
    summary: "List a hub's sittings",
    description:
      'Stored sittings with dates in the range (planned, published, held, cancelled), moved ones with the ' +
      `date they moved from and why, and the rule dates not sat on with their reason. At most ${maxRangeDays} days.`,
    tag: 'sittings',
    roles: staffRoles,
    params: idParams,
    query: rangeQuery,
    response: hubSittingsResponse,
    responseDescription: "The hub's sittings in the range",
    errors: ['not-found'],
    handler: async ({ db, params, query, now }) => {
      // The default range is in the hub's zone: load the hub first (not-found before a range error).
      const hub = await getHub(db, params.id);
      const range = resolveRange(query, now(), hub.schedule.timezone);
      return { body: await loadHubSittings(db, params.id, range) };
    },
  }),
  apiRoute({
    method: 'GET',
    path: '/sittings/:id',
    operationId: 'getSitting',
    summary: 'Get one sitting',
    tag: 'sittings',
    roles: staffRoles,
    params: idParams,
    response: sittingResponse,
    responseDescription: 'The sitting with its slots in local time',
    errors: ['not-found'],
    handler: async ({ db, params }) => ({ body: await loadSitting(db, params.id) }),
  }),
];
