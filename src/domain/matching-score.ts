import { z } from 'zod';

/*
 * Scoring one request against one agency: the hard rules, the weighted soft score and the
 * breakdown a coordinator reads. Pure. The batch proposal is in matching.ts.
 */

export const agencyKinds = [
  'family-support',
  'school',
  'health',
  'youth',
  'voluntary',
  'education-welfare',
  'mental-health',
  'housing',
  'police',
  'other',
] as const;
export type AgencyKind = (typeof agencyKinds)[number];

export interface MatchAgency {
  id: string;
  kind: AgencyKind;
  /** Need codes it works on. */
  specialisms: readonly string[];
  /** Locality codes it serves (besides everywhere, when `cityWide`). */
  localities: readonly string[];
  cityWide: boolean;
  /** Age range in whole years, both ends included. */
  minAge: number;
  maxAge: number;
  capacity: number;
  activeCases: number;
}

export interface MatchNeed {
  code: string;
  /** 1 (low) to 3 (high). */
  severity: number;
}

export interface MatchRequest {
  id: string;
  /** The family's locality code. */
  locality: string;
  needs: readonly MatchNeed[];
  /** Each child's age in whole years on the day of the match (the sitting date). */
  childAges: readonly number[];
  /** Agencies already working with the family (e.g. the school doing early help). */
  involvedAgencyIds: readonly string[];
}

/**
 * Why a pair is not a candidate, in the order the rules are checked ("funnel" order): first what the
 * agency does, then who it may take, then where, then whether it has room now.
 */
export type UnmatchedReason = 'no-agency-covers-need' | 'age-range' | 'locality' | 'no-capacity';
export const unmatchedReasons: readonly UnmatchedReason[] = [
  'no-agency-covers-need',
  'age-range',
  'locality',
  'no-capacity',
];

/** Each reason in plain words, as a phrase about the request (pages, API and CLI say it the same way). */
export const unmatchedReasonText: Readonly<Record<UnmatchedReason, string>> = {
  'no-agency-covers-need': 'no agency works on any of its needs',
  'age-range': "no agency working on its needs takes the children's ages",
  locality: "no agency working on its needs serves the family's locality",
  'no-capacity': 'every suitable agency is full, or its places went to other requests in this batch',
};

/**
 * Weights of the soft score components. Defaults, and why:
 * - need 0.40: whether the agency works on the family's needs (severity-weighted) matters most;
 * - continuity 0.20: the council wants an agency already involved (e.g. the school) to lead;
 * - locality 0.15: an agency of the family's own area over a city-wide service;
 * - kindFit 0.15: the kind of agency suits the need profile (attendance -> education welfare);
 * - headroom 0.10: prefer agencies with room, spreading the load.
 */
export interface MatchWeights {
  need: number;
  locality: number;
  continuity: number;
  headroom: number;
  kindFit: number;
}

export const defaultMatchWeights: Readonly<MatchWeights> = Object.freeze({
  need: 0.4,
  locality: 0.15,
  continuity: 0.2,
  headroom: 0.1,
  kindFit: 0.15,
});

const weight = z.number().finite().min(0, 'must be 0 or more').max(100, 'must be 100 or less');

/**
 * Hub weights as stored (`hubs.match_weights`) or given to `hub match`: any subset of the five,
 * the rest take the defaults; unknown keys are refused so a typo cannot pass silently. Relative
 * sizes are what count: the result is normalised to sum to 1.
 */
export const matchWeightsSchema = z
  .strictObject({
    need: weight.optional(),
    locality: weight.optional(),
    continuity: weight.optional(),
    headroom: weight.optional(),
    kindFit: weight.optional(),
  })
  .refine(
    // A negative weight is reported on its own field; only judge the sum of valid weights.
    (w) => Object.values(w).some((v) => v < 0) || sumWeights({ ...defaultMatchWeights, ...w }) > 0,
    'weights must not all be zero',
  )
  .transform((w) => normaliseWeights(w));

function sumWeights(w: MatchWeights): number {
  return w.need + w.locality + w.continuity + w.headroom + w.kindFit;
}

/** Fills missing weights with the defaults and scales them to sum to 1. */
export function normaliseWeights(partial: Partial<MatchWeights> | null | undefined): MatchWeights {
  const w = { ...defaultMatchWeights, ...(partial ?? {}) };
  const total = sumWeights(w);
  if (!(total > 0)) throw new RangeError('weights must not all be zero');
  return {
    need: w.need / total,
    locality: w.locality / total,
    continuity: w.continuity / total,
    headroom: w.headroom / total,
    kindFit: w.kindFit / total,
  };
}

/**
 * The needs each kind of agency typically leads on (codes of the shared taxonomy). `kindFit` is
 * the severity-weighted share of a request's needs in its agency's list.
 */
export const kindNeeds: Readonly<Record<AgencyKind, readonly string[]>> = {
  'family-support': [
    'parenting',
    'domestic-abuse',
    'housing',
    'financial-hardship',
    'young-carer',
    'behaviour',
  ],
  school: ['attendance', 'behaviour', 'send', 'emotional-wellbeing'],
  'education-welfare': ['attendance', 'send', 'behaviour'],
  health: ['physical-health', 'early-years', 'emotional-wellbeing', 'mental-health'],
  'mental-health': ['mental-health', 'emotional-wellbeing', 'bereavement'],
  youth: ['exploitation-risk', 'behaviour', 'substance-misuse', 'emotional-wellbeing'],
  voluntary: ['bereavement', 'young-carer', 'financial-hardship', 'parenting'],
  housing: ['housing', 'financial-hardship'],
  police: ['domestic-abuse', 'exploitation-risk', 'substance-misuse'],
  other: [],
};

/** Locality component for an agency that serves the family only as a city-wide service. */
export const CITY_WIDE_LOCALITY_VALUE = 0.5;

/**
 * Scores are multiples of 2^-20 (about 1e-6): then every score, and every sum of up to 2^33 of
 * them, is exact in a double, so the total printed is the exact total the solver maximised.
 */
export const SCORE_UNITS = 2 ** 20;

export interface ScoreComponent {
  /** In [0, 1]. */
  value: number;
  /** Normalised weight; the weights sum to 1. */
  weight: number;
  /** value * weight. */
  contribution: number;
}

export interface MatchBreakdown {
  need: ScoreComponent & { covered: string[]; uncovered: string[] };
  locality: ScoreComponent & { match: 'same-locality' | 'city-wide' };
  continuity: ScoreComponent & { involved: boolean };
  headroom: ScoreComponent & { free: number; capacity: number };
  kindFit: ScoreComponent & { kind: AgencyKind; fitting: string[] };
  /** For people: "needs 3/3 covered (parenting, attendance, housing); same locality; ..." */
  text: string;
}

/** Index of an agency for fast scoring (sets instead of arrays). */
export interface AgencyIndex {
  agency: MatchAgency;
  specialisms: ReadonlySet<string>;
  localities: ReadonlySet<string>;
  fitting: ReadonlySet<string>;
  free: number;
}

export function indexAgency(agency: MatchAgency): AgencyIndex {
  return {
    agency,
    specialisms: new Set(agency.specialisms),
    localities: new Set(agency.localities),
    fitting: new Set(kindNeeds[agency.kind]),
    free: agency.capacity - agency.activeCases,
  };
}

/**
 * The first hard rule (in funnel order) the pair breaks, or null when the agency is a candidate:
 * it covers at least one need (any, if none is recorded), every child is within its age range,
 * it serves the family's locality or the whole city, and it has a free place.
 */
export function brokenRule(request: MatchRequest, a: AgencyIndex): UnmatchedReason | null {
  if (request.needs.length > 0 && !request.needs.some((n) => a.specialisms.has(n.code))) {
    return 'no-agency-covers-need';
  }
  if (request.childAges.some((age) => age < a.agency.minAge || age > a.agency.maxAge)) return 'age-range';
  if (!a.agency.cityWide && !a.localities.has(request.locality)) return 'locality';
  if (a.free <= 0) return 'no-capacity';
  return null;
}

/** The soft score of a candidate pair, in SCORE_UNITS (an integer in [0, SCORE_UNITS]). */
export function scoreUnits(request: MatchRequest, a: AgencyIndex, w: MatchWeights): number {
  let total = 0;
  let covered = 0;
  let fitting = 0;
  for (const n of request.needs) {
    total += n.severity;
    if (a.specialisms.has(n.code)) covered += n.severity;
    if (a.fitting.has(n.code)) fitting += n.severity;
  }
  const raw =
    w.need * (total > 0 ? covered / total : 0) +
    w.locality * (a.localities.has(request.locality) ? 1 : CITY_WIDE_LOCALITY_VALUE) +
    w.continuity * (request.involvedAgencyIds.includes(a.agency.id) ? 1 : 0) +
    w.headroom * (a.agency.capacity > 0 ? Math.max(0, a.free) / a.agency.capacity : 0) +
    w.kindFit * (total > 0 ? fitting / total : 0);
  return Math.round(Math.min(1, Math.max(0, raw)) * SCORE_UNITS);
}

/** The breakdown of a candidate pair's score, with every component and the sentence. */
export function explainPair(request: MatchRequest, a: AgencyIndex, w: MatchWeights): MatchBreakdown {
  const total = request.needs.reduce((s, n) => s + n.severity, 0);
  const covered = request.needs.filter((n) => a.specialisms.has(n.code));
  const fitting = request.needs.filter((n) => a.fitting.has(n.code));
  const share = (list: readonly MatchNeed[]) =>
    total > 0 ? list.reduce((s, n) => s + n.severity, 0) / total : 0;
  const component = (value: number, weight: number): ScoreComponent => ({
    value,
    weight,
    contribution: value * weight,
  });
  const sameLocality = a.localities.has(request.locality);
  const involved = request.involvedAgencyIds.includes(a.agency.id);
  const free = Math.max(0, a.free);
  const codes = (list: readonly MatchNeed[]) => list.map((n) => n.code);
  const uncovered = request.needs.filter((n) => !a.specialisms.has(n.code));
  const needText =
    request.needs.length === 0
      ? 'no needs recorded'
      : `needs ${covered.length}/${request.needs.length} covered (${codes(covered).join(', ')}` +
        (uncovered.length > 0 ? `; not ${codes(uncovered).join(', ')})` : ')');
  const text = [
    needText,
    sameLocality ? 'same locality' : 'city-wide service',
    involved ? 'already involved' : 'not yet involved',
    `${free} of ${a.agency.capacity} places free`,
    request.needs.length === 0
      ? `${a.agency.kind}`
      : `${a.agency.kind} suits ${fitting.length}/${request.needs.length} needs`,
  ].join('; ');
  return {
    need: { ...component(share(covered), w.need), covered: codes(covered), uncovered: codes(uncovered) },
    locality: {
      ...component(sameLocality ? 1 : CITY_WIDE_LOCALITY_VALUE, w.locality),
      match: sameLocality ? 'same-locality' : 'city-wide',
    },
    continuity: { ...component(involved ? 1 : 0, w.continuity), involved },
    headroom: {
      ...component(a.agency.capacity > 0 ? free / a.agency.capacity : 0, w.headroom),
      free,
      capacity: a.agency.capacity,
    },
    kindFit: { ...component(share(fitting), w.kindFit), kind: a.agency.kind, fitting: codes(fitting) },
    text,
  };
}

/**
 * Total order on ids: ids that are whole numbers (database ids) come first, in numeric order; the
 * rest follow in code-unit order. Used for every tie-break.
 */
export function compareIds(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na !== nb) return na ? -1 : 1;
  if (na && a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
