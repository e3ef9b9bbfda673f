import { z } from 'zod';
import {
  agencyKinds,
  type MatchAgency,
  type MatchRequest,
  type MatchWeights,
  matchWeightsSchema,
  normaliseWeights,
} from '../domain/matching.ts';
import { parseOrThrow } from '../validation.ts';

/*
 * The dry-run input of `hub match --input` (issue 5): agencies with their live capacity, requests
 * with their needs, children's ages and involved agencies, and optional hub weights. Every field
 * is required except `weights` (null or absent = defaults); a bad field is named by its path.
 */

const id = z.string().trim().min(1, 'must not be empty');
const code = z.string().trim().min(1, 'must not be empty');
const age = z.number().int('must be a whole number of years').min(0).max(25);
const count = z.number().int('must be a whole number').min(0);

const agencySchema = z
  .strictObject({
    id,
    kind: z.enum(agencyKinds),
    specialisms: z.array(code),
    localities: z.array(code),
    cityWide: z.boolean(),
    minAge: age,
    maxAge: age,
    capacity: count,
    activeCases: count,
  })
  .refine((a) => a.minAge <= a.maxAge, { message: 'must be at least minAge', path: ['maxAge'] })
  .refine((a) => a.activeCases <= a.capacity, { message: 'must not exceed capacity', path: ['activeCases'] })
  .refine((a) => a.cityWide || a.localities.length > 0, {
    message: 'must name at least one locality unless cityWide',
    path: ['localities'],
  });

const requestSchema = z.strictObject({
  id,
  locality: code,
  needs: z
    .array(z.strictObject({ code, severity: z.number().int().min(1).max(3) }))
    .refine((needs) => new Set(needs.map((n) => n.code)).size === needs.length, 'must not repeat a need'),
  childAges: z.array(age),
  involvedAgencyIds: z.array(id),
});

const inputSchema = z
  .strictObject({
    agencies: z.array(agencySchema),
    requests: z.array(requestSchema),
    weights: matchWeightsSchema.nullable().optional(),
  })
  .superRefine((input, ctx) => {
    for (const [list, name] of [
      [input.agencies, 'agencies'],
      [input.requests, 'requests'],
    ] as const) {
      const seen = new Set<string>();
      list.forEach((item, index) => {
        if (seen.has(item.id))
          ctx.addIssue({ code: 'custom', path: [name, index, 'id'], message: 'is a duplicate id' });
        seen.add(item.id);
      });
    }
  });

export interface MatchInput {
  agencies: MatchAgency[];
  requests: MatchRequest[];
  /** Normalised (sum 1). */
  weights: MatchWeights;
}

/** Validates the JSON of `hub match --input`; throws AppError('invalid-input') naming each field. */
export function parseMatchInput(json: unknown): MatchInput {
  const input = parseOrThrow(inputSchema, json, 'match input');
  return {
    agencies: input.agencies,
    requests: input.requests,
    weights: input.weights ?? normaliseWeights(null),
  };
}
