import { z } from 'zod';
import { agencyKinds } from '../domain/matching-score.ts';
import {
  code,
  email,
  instant,
  integer,
  list,
  localDate,
  optionalInstant,
  optionalText,
  requiredText,
  yesNo,
} from './fields.ts';

/*
 * One row schema per importable kind. Column names follow the DfE "Get Information about Schools"
 * style (PascalCase; GIAS's "(name)" suffix accepted for its own columns); JSON files use the same keys.
 */

export const schoolRow = z.object({
  URN: integer(100000, 999999, 'must be a 6-digit DfE URN'),
  EstablishmentName: requiredText(),
  Locality: z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), code()),
  PhaseOfEducation: optionalText(),
  Postcode: optionalText(),
  SafeguardingLeadEmails: list(email()),
});
export type SchoolRow = z.output<typeof schoolRow>;

// One list of agency kinds: the matching's (the database CHECK lists the same).
export { agencyKinds } from '../domain/matching-score.ts';

export const agencyRow = z
  .object({
    Name: requiredText(),
    Kind: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
      z.enum(agencyKinds, {
        error: `must be one of ${agencyKinds.join(', ')}`,
      }),
    ),
    Specialisms: list(code()),
    Localities: list(code()),
    CityWide: yesNo(false),
    MinAge: integer(0, 25),
    MaxAge: integer(0, 25),
    Capacity: integer(0, 10000),
    ActiveCases: z.preprocess((v) => v ?? 0, integer(0, 10000)),
    ContactEmail: z.preprocess((v) => v ?? '', email()),
    SchoolURN: z.preprocess(
      (v) => v ?? undefined,
      integer(100000, 999999, 'must be a 6-digit DfE URN').optional(),
    ),
  })
  .superRefine((row, ctx) => {
    if (row.MinAge > row.MaxAge)
      ctx.addIssue({ code: 'custom', path: ['MaxAge'], message: 'must not be below MinAge' });
    if (row.ActiveCases > row.Capacity)
      ctx.addIssue({ code: 'custom', path: ['ActiveCases'], message: 'must not exceed Capacity' });
    if (!row.CityWide && row.Localities.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['Localities'],
        message: 'must name at least one locality unless CityWide is yes',
      });
    if (row.Kind === 'school' && row.SchoolURN === undefined)
      ctx.addIssue({ code: 'custom', path: ['SchoolURN'], message: 'is required when Kind is school' });
  });
export type AgencyRow = z.output<typeof agencyRow>;

const need = z.string().transform((s, ctx) => {
  const m = /^([a-z][a-z0-9-]*)\s*(?::\s*([123]))?$/.exec(s.trim().toLowerCase());
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a need: write code:severity, e.g. parenting:2` });
    return z.NEVER;
  }
  return { code: m[1] as string, severity: Number(m[2] ?? 2) };
});

const referenceText = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim().toUpperCase() : v),
  z
    .string({ error: 'is required' })
    .regex(/^[A-Z0-9-]+$/, 'must be letters, digits and dashes, e.g. EH-2027-0001'),
);

export const requestRow = z
  .object({
    Reference: referenceText,
    Hub: requiredText(),
    Kind: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
      z.enum(['new', 'review'], {
        error: 'must be new or review',
      }),
    ),
    FamilyReference: referenceText,
    Locality: z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), code()),
    SchoolURN: z.preprocess(
      (v) => v ?? undefined,
      integer(100000, 999999, 'must be a 6-digit DfE URN').optional(),
    ),
    ChildDatesOfBirth: list(localDate()).refine((l) => l.length > 0, 'must give at least one date of birth'),
    Urgency: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim().toLowerCase() : (v ?? 'normal')),
      z.enum(['high', 'normal', 'low'], { error: 'must be high, normal or low' }),
    ),
    Needs: list(need).refine((l) => l.length > 0, 'must name at least one need, e.g. parenting:2'),
    Complex: yesNo(false),
    ConsentGiven: yesNo(false),
    ConsentRecordedAt: optionalInstant(),
    ConsentRecordedBy: optionalText(),
    ReferrerName: requiredText(),
    ReferrerOrganisation: requiredText(),
    ReferrerEmail: z.preprocess((v) => v ?? undefined, email().optional()),
    ReceivedAt: instant(),
    ReviewDueAt: optionalInstant(),
    ExternalReference: optionalText(),
  })
  .superRefine((row, ctx) => {
    if (row.ConsentGiven && (row.ConsentRecordedAt === undefined || row.ConsentRecordedBy === undefined)) {
      const missing = row.ConsentRecordedAt === undefined ? 'ConsentRecordedAt' : 'ConsentRecordedBy';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'is required when ConsentGiven is yes' });
    }
    if (row.Kind === 'review' && row.ReviewDueAt === undefined)
      ctx.addIssue({ code: 'custom', path: ['ReviewDueAt'], message: 'is required for a review' });
    const codes = row.Needs.map((n) => n.code);
    const dup = codes.find((c, i) => codes.indexOf(c) !== i);
    if (dup) ctx.addIssue({ code: 'custom', path: ['Needs'], message: `names ${dup} twice` });
  });
export type RequestRow = z.output<typeof requestRow>;

/** GIAS publishes some columns as "PhaseOfEducation (name)": accept both spellings. */
export function normaliseColumns(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) out[key.replace(/\s*\(name\)$/i, '').trim()] = value;
  return out;
}
