import { DateTime } from 'luxon';
import { z } from 'zod';

/*
 * The shapes of a request at the service's edge: what the front door posts, and what lists and
 * details return. One zod schema each; the API validates with them and the OpenAPI document is
 * generated from them, so the two cannot drift. No names of children or parents anywhere: a family
 * is a reference, a child a date of birth.
 */

/** Whether luxon builds a valid DateTime (false rather than a throw when Settings.throwOnInvalid is on). */
export function validDateTime(make: () => DateTime): boolean {
  try {
    return make().isValid;
  } catch {
    return false;
  }
}

const reference = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9-]{1,40}$/, 'must be letters, digits and dashes, e.g. FAM-0042');
const code = z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a lower-case code such as "parenting"');
/** An instant with an explicit offset or Z, normalised to UTC ISO. */
export const instantString = z
  .string()
  .refine(
    (s) => /(Z|[+-]\d{2}:?\d{2})$/.test(s) && validDateTime(() => DateTime.fromISO(s, { setZone: true })),
    {
      message: 'must be a date and time with a zone, e.g. 2027-03-01T10:00:00Z',
    },
  )
  .transform((s) => DateTime.fromISO(s, { setZone: true }).toUTC().toISO() as string);
export const localDateString = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && validDateTime(() => DateTime.fromISO(s, { zone: 'UTC' })), {
    message: 'must be a date written YYYY-MM-DD',
  });
const text = (max: number) =>
  z.string().trim().min(1, 'is required').max(max, `must be at most ${max} characters`);

export const requestStatuses = ['open', 'on-agenda', 'allocated', 'closed'] as const;
export const urgencies = ['high', 'normal', 'low'] as const;

/** What the front door posts to create a request. */
export const createRequestInput = z
  .strictObject({
    hubId: z.number().int().positive(),
    kind: z.enum(['new', 'review']).default('new'),
    /** Required for a review of an existing EHA. */
    reviewDueAt: instantString.optional(),
    family: z.strictObject({ reference, locality: code }),
    /** The DfE URN of the school raising or concerned by the request, when there is one. */
    schoolUrn: z
      .number()
      .int()
      .min(100000, 'must be a 6-digit DfE URN')
      .max(999999, 'must be a 6-digit DfE URN')
      .optional(),
    children: z
      .array(z.strictObject({ dateOfBirth: localDateString }))
      .min(1, 'must list at least one child (by date of birth)')
      .max(20),
    needs: z
      .array(z.strictObject({ code, severity: z.number().int().min(1).max(3) }))
      .min(1, 'must name at least one need')
      .max(30),
    urgency: z.enum(urgencies).default('normal'),
    complex: z.boolean().default(false),
    consent: z.strictObject({
      given: z.boolean(),
      recordedAt: instantString.optional(),
      recordedBy: text(200).optional(),
    }),
    referrer: z.strictObject({
      name: text(200),
      organisation: text(200),
      email: z.email('must be an email address').toLowerCase().optional(),
    }),
    /** When the front door received it; defaults to now. */
    receivedAt: instantString.optional(),
    /** The front door's own reference (unique). */
    externalReference: text(100).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.kind === 'review' && v.reviewDueAt === undefined)
      ctx.addIssue({ code: 'custom', path: ['reviewDueAt'], message: 'is required for a review' });
    if (v.consent.given && v.consent.recordedAt === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['consent', 'recordedAt'],
        message: 'is required when consent is given',
      });
    if (v.consent.given && v.consent.recordedBy === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['consent', 'recordedBy'],
        message: 'is required when consent is given',
      });
    v.needs.forEach((n, i) => {
      if (v.needs.findIndex((m) => m.code === n.code) !== i)
        ctx.addIssue({ code: 'custom', path: ['needs', i, 'code'], message: `names ${n.code} twice` });
    });
  });
export type CreateRequestInput = z.input<typeof createRequestInput>;
export type CreateRequest = z.output<typeof createRequestInput>;

/** Query of GET /requests. */
export const listRequestsQuery = z.strictObject({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  status: z.enum(requestStatuses).optional(),
  hubId: z.coerce.number().int().positive().optional(),
});
export type ListRequestsQuery = z.output<typeof listRequestsQuery>;

const placement = z
  .object({
    sittingId: z.number().int(),
    /** The sitting's local date, YYYY-MM-DD. */
    date: z.string(),
    /** 0-based slot of the item. */
    slot: z.number().int(),
    /** Start and end of the item (not the sitting), ISO with the hub's local offset. */
    startsAt: z.string(),
    endsAt: z.string(),
    sittingStatus: z.string(),
  })
  .describe('Where the request is on an agenda (its latest sitting), when it is');

export const requestSummary = z.object({
  id: z.number().int(),
  reference: z.string(),
  hubId: z.number().int(),
  kind: z.enum(['new', 'review']),
  status: z.enum(requestStatuses),
  urgency: z.enum(urgencies),
  complex: z.boolean(),
  receivedAt: z.string(),
  familyReference: z.string(),
  school: z.object({ id: z.number().int(), urn: z.number().int(), name: z.string() }).nullable(),
  childCount: z.number().int(),
  consentGiven: z.boolean(),
  timesCarriedOver: z.number().int(),
  placement: placement.nullable(),
});
export type RequestSummary = z.output<typeof requestSummary>;

export const requestDetail = requestSummary.extend({
  externalReference: z.string().nullable(),
  reviewDueAt: z.string().nullable(),
  children: z.array(z.object({ dateOfBirth: z.string() })),
  needs: z.array(z.object({ code: z.string(), label: z.string(), severity: z.number().int() })),
  consent: z.object({
    given: z.boolean(),
    recordedAt: z.string().nullable(),
    recordedBy: z.string().nullable(),
  }),
  referrer: z.object({ name: z.string(), organisation: z.string(), email: z.string().nullable() }),
  attendanceWindow: z.object({ from: z.string(), to: z.string() }).nullable(),
  allocation: z
    .object({
      agencyId: z.number().int(),
      agencyName: z.string(),
      decision: z.string(),
      decidedAt: z.string(),
      reviewDueOn: z.string(),
      closedAt: z.string().nullable(),
    })
    .nullable(),
  proforma: z
    .object({
      id: z.number().int(),
      status: z.string(),
      deadlineAt: z.string(),
      submittedAt: z.string().nullable(),
    })
    .nullable(),
});
export type RequestDetail = z.output<typeof requestDetail>;

export const requestPage = z.object({
  items: z.array(requestSummary),
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type RequestPage = z.output<typeof requestPage>;
