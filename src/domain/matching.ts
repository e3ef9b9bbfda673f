import { type AssignmentMethod, solveAssignment } from './assignment.ts';
import {
  brokenRule,
  compareIds,
  explainPair,
  indexAgency,
  type MatchAgency,
  type MatchBreakdown,
  type MatchRequest,
  type MatchWeights,
  normaliseWeights,
  SCORE_UNITS,
  scoreUnits,
  type UnmatchedReason,
  unmatchedReasons,
} from './matching-score.ts';

export * from './matching-score.ts';

/*
 * The batch proposal: one lead agency per request for a whole sitting (or any batch), with agency
 * capacities respected across the batch. Pure.
 *
 * Objective, solved exactly (assignment.ts): first as many requests assigned as possible, then the
 * highest total score, then ties broken by id (a lower-id request wins a contested place; a request
 * gets the lower-id agency among equals). Same input, same proposal, whatever the input order.
 *
 * Unassigned requests carry one reason. A request with candidates that lost out to others for the
 * places across the batch gets `no-capacity`. A request with no candidate at all gets the funnel
 * reason: agencies are filtered by what they do (`no-agency-covers-need`), then by the children's
 * ages (`age-range`), then by locality (`locality`), then by free places (`no-capacity`); the reason
 * is the first filter that leaves no agency. E.g. the only agency working on the need takes under-11s
 * and the child is 14: `age-range`, even if that agency is also in another locality.
 */

export interface MatchAlternative {
  agencyId: string;
  /** Exact score (a multiple of 2^-20), as used to rank. */
  score: number;
  breakdown: MatchBreakdown;
}

export interface MatchAssignment {
  requestId: string;
  agencyId: string;
  score: number;
  breakdown: MatchBreakdown;
  /** The next best candidates (up to 3), best first, ties by agency id; capacity not reserved. */
  alternatives: MatchAlternative[];
}

export interface MatchUnassigned {
  requestId: string;
  reason: UnmatchedReason;
  /** Candidates that lost out to capacity across the batch (up to 3); empty for other reasons. */
  alternatives: MatchAlternative[];
}

export interface MatchCandidate {
  requestId: string;
  agencyId: string;
  score: number;
}

export interface MatchProposal {
  /** In request id order. */
  assignments: MatchAssignment[];
  /** In request id order. */
  unassigned: MatchUnassigned[];
  /** Sum of the assigned scores, exact. */
  totalScore: number;
  /** Every pair that passes the hard rules (only when asked for), request then agency id order. */
  candidates?: MatchCandidate[];
}

export interface MatchOptions {
  /** Normalised weights (see `normaliseWeights`); defaults when absent. */
  weights?: MatchWeights;
  /** Also list every candidate pair with its score. */
  includeCandidates?: boolean;
  /** Solver choice, for tests and benchmarks; `auto` by default. */
  method?: AssignmentMethod;
}

/** Candidate pairs in flat typed arrays, grouped by request (request order, then agency order). */
export interface CandidatePairs {
  requests: MatchRequest[];
  agencies: MatchAgency[];
  /** For each request position, its pairs are [pairStart[i], pairStart[i + 1]). */
  pairStart: Int32Array;
  pairRequest: Int32Array;
  pairAgency: Int32Array;
  /** Score in SCORE_UNITS. */
  pairScore: Float64Array;
  /** Capacity free now per agency position. */
  free: Int32Array;
  /** Funnel reason per request position when it has no candidate, else null. */
  reasons: Array<UnmatchedReason | null>;
}

/**
 * Applies the hard rules and scores every pair. Requests and agencies come back sorted by id,
 * positions refer to that order. Throws a RangeError on duplicate ids.
 */
export function buildCandidates(
  agencies: readonly MatchAgency[],
  requests: readonly MatchRequest[],
  weights: MatchWeights = normaliseWeights(null),
): CandidatePairs {
  const sortedAgencies = [...agencies].sort((a, b) => compareIds(a.id, b.id));
  const sortedRequests = [...requests].sort((a, b) => compareIds(a.id, b.id));
  assertUnique(sortedAgencies, 'agency');
  assertUnique(sortedRequests, 'request');
  const index = sortedAgencies.map(indexAgency);
  const n = sortedRequests.length;
  const pairStart = new Int32Array(n + 1);
  let capacity = Math.max(16, n * 4);
  let pairRequest = new Int32Array(capacity);
  let pairAgency = new Int32Array(capacity);
  let pairScore = new Float64Array(capacity);
  let count = 0;
  const reasons: Array<UnmatchedReason | null> = [];
  for (let i = 0; i < n; i++) {
    const request = sortedRequests[i]!;
    pairStart[i] = count;
    // The furthest funnel stage any agency reached; the request's reason if none is a candidate.
    let furthest = 0;
    for (let j = 0; j < index.length; j++) {
      const broken = brokenRule(request, index[j]!);
      if (broken !== null) {
        furthest = Math.max(furthest, unmatchedReasons.indexOf(broken));
        continue;
      }
      if (count === capacity) {
        capacity *= 2;
        pairRequest = grow(pairRequest, capacity);
        pairAgency = grow(pairAgency, capacity);
        pairScore = grow(pairScore, capacity);
      }
      pairRequest[count] = i;
      pairAgency[count] = j;
      pairScore[count++] = scoreUnits(request, index[j]!, weights);
    }
    reasons.push(count > pairStart[i]! ? null : unmatchedReasons[furthest]!);
  }
  pairStart[n] = count;
  return {
    requests: sortedRequests,
    agencies: sortedAgencies,
    pairStart,
    pairRequest: pairRequest.slice(0, count),
    pairAgency: pairAgency.slice(0, count),
    pairScore: pairScore.slice(0, count),
    free: Int32Array.from(index, (a) => Math.max(0, a.free)),
    reasons,
  };
}

/** Proposes one lead agency per request for the batch; see the module header for the rules. */
export function proposeMatches(
  agencies: readonly MatchAgency[],
  requests: readonly MatchRequest[],
  options: MatchOptions = {},
): MatchProposal {
  const weights = options.weights ?? normaliseWeights(null);
  const c = buildCandidates(agencies, requests, weights);
  const solution = solveAssignment(
    {
      requestCount: c.requests.length,
      agencyCount: c.agencies.length,
      capacity: c.free,
      pairRequest: c.pairRequest,
      pairAgency: c.pairAgency,
      pairScore: c.pairScore,
    },
    options.method ?? 'auto',
  );
  const index = c.agencies.map(indexAgency);
  const assignments: MatchAssignment[] = [];
  const unassigned: MatchUnassigned[] = [];
  for (let i = 0; i < c.requests.length; i++) {
    const request = c.requests[i]!;
    const chosen = solution.agencyOf[i]!;
    const alternatives = topAlternatives(c, i, chosen).map((k) => {
      const j = c.pairAgency[k]!;
      return {
        agencyId: c.agencies[j]!.id,
        score: c.pairScore[k]! / SCORE_UNITS,
        breakdown: explainPair(request, index[j]!, weights),
      };
    });
    if (chosen < 0) {
      unassigned.push({ requestId: request.id, reason: c.reasons[i] ?? 'no-capacity', alternatives });
      continue;
    }
    const k = pairOf(c, i, chosen);
    assignments.push({
      requestId: request.id,
      agencyId: c.agencies[chosen]!.id,
      score: c.pairScore[k]! / SCORE_UNITS,
      breakdown: explainPair(request, index[chosen]!, weights),
      alternatives,
    });
  }
  const proposal: MatchProposal = { assignments, unassigned, totalScore: solution.totalScore / SCORE_UNITS };
  if (options.includeCandidates) {
    proposal.candidates = Array.from(c.pairRequest, (i, k) => ({
      requestId: c.requests[i]!.id,
      agencyId: c.agencies[c.pairAgency[k]!]!.id,
      score: c.pairScore[k]! / SCORE_UNITS,
    }));
  }
  return proposal;
}

/** The request's best (up to) 3 pairs other than the chosen agency: score desc, then agency id. */
function topAlternatives(c: CandidatePairs, i: number, chosen: number): number[] {
  const top: number[] = [];
  for (let k = c.pairStart[i]!; k < c.pairStart[i + 1]!; k++) {
    if (c.pairAgency[k] === chosen) continue;
    // Pairs are in agency id order, so a strictly better score is needed to move ahead.
    let at = top.length;
    while (at > 0 && c.pairScore[top[at - 1]!]! < c.pairScore[k]!) at--;
    if (at < 3) {
      top.splice(at, 0, k);
      if (top.length > 3) top.pop();
    }
  }
  return top;
}

function pairOf(c: CandidatePairs, i: number, j: number): number {
  for (let k = c.pairStart[i]!; k < c.pairStart[i + 1]!; k++) if (c.pairAgency[k] === j) return k;
  throw new Error(`no candidate pair for request ${i} and agency ${j}`);
}

function assertUnique(list: ReadonlyArray<{ id: string }>, what: string): void {
  for (let i = 1; i < list.length; i++) {
    if (list[i]!.id === list[i - 1]!.id) throw new RangeError(`duplicate ${what} id ${list[i]!.id}`);
  }
}

function grow<T extends Int32Array | Float64Array>(array: T, size: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(size);
  bigger.set(array);
  return bigger;
}

/**
 * A child's age in whole years on `day` (both ISO dates, `YYYY-MM-DD`): the birthday counts from
 * the day itself; a 29 February birthday counts from 1 March in other years.
 */
export function ageOn(dateOfBirth: string, day: string): number {
  const [by, bm, bd] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const hadBirthday = m > bm || (m === bm && d >= bd);
  return y - by - (hadBirthday ? 0 : 1);
}

/** Intervention review points, as local calendar days of the hub (Early Help guidance). */
export const REVIEW_AFTER_MONTHS = 3;
export const QUESTION_AFTER_MONTHS = 12;

/**
 * The dates an allocation decided on local day `decidedOn` (`YYYY-MM-DD` in the hub's zone)
 * carries: the first review, and the 12-month point after which the case must be questioned.
 * Month arithmetic clamps to the month's end (30 November + 3 months = 28 or 29 February).
 */
export function allocationDates(decidedOn: string): { reviewDueOn: string; endsBy: string } {
  return {
    reviewDueOn: addMonths(decidedOn, REVIEW_AFTER_MONTHS),
    endsBy: addMonths(decidedOn, QUESTION_AFTER_MONTHS),
  };
}

function addMonths(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const pad = (x: number) => String(x).padStart(2, '0');
  return `${year}-${pad(month)}-${pad(Math.min(d, last))}`;
}
