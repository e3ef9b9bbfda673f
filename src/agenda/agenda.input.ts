import { IANAZone } from 'luxon';
import { z } from 'zod';
import type { AgendaInput } from '../domain/agenda.ts';
import { parseOrThrow } from '../validation.ts';

/*
 * The dry-run input of `hub agenda --input` (and of the API later): the shape of issue 4. Fields a
 * person would usually leave out have the hub's defaults; everything else is required.
 */

const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 instant with an offset or Z' });
const wallTime = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be a local time HH:mm');
const count = (min: number, max: number) => z.number().int().min(min).max(max);

const sittingSchema = z
  .object({
    startsAt: instant,
    slotMinutes: count(5, 240),
    slots: count(1, 48),
    breakAfterSlot: count(1, 47).nullable().default(null),
    breakMinutes: count(0, 240).default(0),
    timezone: z
      .string()
      .refine((zone) => IANAZone.isValidZone(zone), 'must be an IANA time zone such as Europe/London')
      .default('Europe/London'),
  })
  .refine((s) => s.breakAfterSlot === null || s.breakAfterSlot < s.slots, {
    message: 'must be smaller than slots (the break follows a slot, counting from 1)',
    path: ['breakAfterSlot'],
  });

const policySchema = z.object({
  missingProforma: z.enum(['defer', 'flag']).default('flag'),
  complexSlots: count(1, 4).default(2),
  childrenForComplex: count(2, 100).default(3),
});

const requestSchema = z
  .object({
    id: z.string().trim().min(1, 'must not be empty'),
    familyId: z.string().trim().min(1, 'must not be empty'),
    schoolId: z.string().nullable().default(null),
    kind: z.enum(['new', 'review']),
    urgency: z.enum(['high', 'normal', 'low']),
    receivedAt: instant,
    consent: z.boolean(),
    proformaSubmitted: z.boolean(),
    proformaDeadlinePassed: z.boolean().default(true),
    children: count(0, 100).default(1),
    complex: z.boolean().default(false),
    timesCarriedOver: count(0, 1000).default(0),
    reviewDueAt: instant.nullable().default(null),
    attendanceWindow: z
      .object({ from: wallTime, to: wallTime })
      .refine((w) => w.from < w.to, { message: 'from must be before to', path: ['to'] })
      .nullable()
      .default(null),
    pinnedSlot: count(0, 47).nullable().default(null),
  })
  .refine((r) => r.kind !== 'review' || r.reviewDueAt !== null, {
    message: 'is required for a review',
    path: ['reviewDueAt'],
  });

/** zod schema of the dry-run input; cross-field rules (unique ids, pins within the sitting) included. */
export const agendaInputSchema = z
  .object({
    sitting: sittingSchema,
    policy: policySchema.default({ missingProforma: 'flag', complexSlots: 2, childrenForComplex: 3 }),
    requests: z.array(requestSchema),
  })
  .superRefine((input, ctx) => {
    const seen = new Set<string>();
    input.requests.forEach((request, index) => {
      if (seen.has(request.id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['requests', index, 'id'],
          message: `duplicate id "${request.id}"`,
        });
      }
      seen.add(request.id);
      if (request.pinnedSlot !== null && request.pinnedSlot >= input.sitting.slots) {
        ctx.addIssue({
          code: 'custom',
          path: ['requests', index, 'pinnedSlot'],
          message: `must be a slot of the sitting (0 to ${input.sitting.slots - 1})`,
        });
      }
    });
  });

/** Validates dry-run input; throws AppError('invalid-input') naming every bad field. */
export function parseAgendaInput(input: unknown): AgendaInput {
  return parseOrThrow(agendaInputSchema, input, 'agenda input');
}
