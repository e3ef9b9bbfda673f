import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AssignmentMethod,
  type AssignmentProblem,
  solveAssignment,
} from '../../src/domain/assignment.ts';
import {
  agencyKinds,
  brokenRule,
  buildCandidates,
  indexAgency,
  type MatchAgency,
  type MatchRequest,
  proposeMatches,
  SCORE_UNITS,
} from '../../src/domain/matching.ts';

/*
 * Properties of the batch proposal over random small instances, checked against brute force:
 * every assignment of every request (to a candidate or to nobody) is enumerated, and the best one
 * under the lexicographic objective (most assigned, best total score, then the two id tie-breaks
 * documented in src/domain/assignment.ts) is compared with the solver's, level by level.
 */

const methods: AssignmentMethod[] = ['shortest-paths', 'cost-scaling'];

/** Objective vector of an assignment: bigger is better, compared lexicographically. */
function objective(p: AssignmentProblem, agencyOf: ArrayLike<number>): number[] {
  const n = p.requestCount;
  const hasPair = new Set(p.pairRequest);
  const score = new Map<string, number>();
  for (let k = 0; k < p.pairRequest.length; k++)
    score.set(`${p.pairRequest[k]}/${p.pairAgency[k]}`, p.pairScore[k]!);
  let count = 0;
  let total = 0;
  let requestTie = 0;
  let agencyTie = 0;
  for (let i = 0; i < n; i++) {
    const j = agencyOf[i]!;
    if (j < 0) {
      if (hasPair.has(i)) requestTie += n - i;
      continue;
    }
    count++;
    total += score.get(`${i}/${j}`)!;
    agencyTie += j * (n - i);
  }
  return [count, total, -requestTie, -agencyTie];
}

function better(a: number[], b: number[]): boolean {
  for (let q = 0; q < a.length; q++) if (a[q] !== b[q]) return a[q]! > b[q]!;
  return false;
}

function bruteForce(p: AssignmentProblem): number[] {
  const options: number[][] = Array.from({ length: p.requestCount }, () => [-1]);
  for (let k = 0; k < p.pairRequest.length; k++) options[p.pairRequest[k]!]!.push(p.pairAgency[k]!);
  const used = new Int32Array(p.agencyCount);
  const agencyOf = new Int32Array(p.requestCount);
  let best = [-1, -1, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  const walk = (i: number) => {
    if (i === p.requestCount) {
      const o = objective(p, agencyOf);
      if (better(o, best)) best = o;
      return;
    }
    for (const j of options[i]!) {
      if (j >= 0 && used[j]! >= p.capacity[j]!) continue;
      agencyOf[i] = j;
      if (j >= 0) used[j]!++;
      walk(i + 1);
      if (j >= 0) used[j]!--;
    }
  };
  walk(0);
  return best;
}

/** Random pair lists; scores from a tiny range make ties (and tie-breaks) common. */
const problemArb: fc.Arbitrary<AssignmentProblem> = fc
  .record({
    n: fc.integer({ min: 1, max: 6 }),
    m: fc.integer({ min: 1, max: 4 }),
    scoreRange: fc.constantFrom(1, 3, SCORE_UNITS),
  })
  .chain(({ n, m, scoreRange }) =>
    fc
      .record({
        capacity: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: m, maxLength: m }),
        cells: fc.array(fc.option(fc.integer({ min: 0, max: scoreRange }), { freq: 2 }), {
          minLength: n * m,
          maxLength: n * m,
        }),
      })
      .map(({ capacity, cells }) => {
        const pr: number[] = [];
        const pa: number[] = [];
        const ps: number[] = [];
        cells.forEach((score, cell) => {
          if (score === null) return;
          pr.push(Math.floor(cell / m));
          pa.push(cell % m);
          ps.push(score);
        });
        return {
          requestCount: n,
          agencyCount: m,
          capacity: Int32Array.from(capacity),
          pairRequest: Int32Array.from(pr),
          pairAgency: Int32Array.from(pa),
          pairScore: Float64Array.from(ps),
        };
      }),
  );

describe.each(methods)('exact batch assignment (%s)', (method) => {
  it('never exceeds an agency capacity and only uses candidate pairs', () => {
    fc.assert(
      fc.property(problemArb, (p) => {
        const a = solveAssignment(p, method);
        const used = new Int32Array(p.agencyCount);
        const pairs = new Set(Array.from(p.pairRequest, (i, k) => `${i}/${p.pairAgency[k]}`));
        a.agencyOf.forEach((j, i) => {
          if (j < 0) return;
          used[j]!++;
          expect(pairs.has(`${i}/${j}`)).toBe(true);
        });
        used.forEach((u, j) => {
          expect(u).toBeLessThanOrEqual(p.capacity[j]!);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('reaches the brute-force optimum: count first, then total score, then both id tie-breaks', () => {
    fc.assert(
      fc.property(problemArb, (p) => {
        const a = solveAssignment(p, method);
        const o = objective(p, a.agencyOf);
        expect(o).toEqual(bruteForce(p));
        expect([a.assigned, a.totalScore]).toEqual(o.slice(0, 2));
      }),
      { numRuns: 400 },
    );
  });
});

it('both methods give the same proposal on instances too large to enumerate', () => {
  fc.assert(
    fc.property(
      fc.record({
        n: fc.integer({ min: 20, max: 60 }),
        m: fc.integer({ min: 3, max: 12 }),
        seed: fc.integer(),
      }),
      ({ n, m, seed }) => {
        let x = seed >>> 0;
        const next = () => {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          return x / 2 ** 32;
        };
        const pr: number[] = [];
        const pa: number[] = [];
        const ps: number[] = [];
        for (let i = 0; i < n; i++)
          for (let j = 0; j < m; j++)
            if (next() < 0.4) {
              pr.push(i);
              pa.push(j);
              ps.push(Math.floor(next() * 4));
            }
        const p: AssignmentProblem = {
          requestCount: n,
          agencyCount: m,
          capacity: Int32Array.from({ length: m }, () => Math.floor(next() * 5)),
          pairRequest: Int32Array.from(pr),
          pairAgency: Int32Array.from(pa),
          pairScore: Float64Array.from(ps),
        };
        const a = solveAssignment(p, 'shortest-paths');
        const b = solveAssignment(p, 'cost-scaling');
        expect(objective(p, b.agencyOf)).toEqual(objective(p, a.agencyOf));
      },
    ),
    { numRuns: 100 },
  );
});

const agencyArb: fc.Arbitrary<Omit<MatchAgency, 'id'>> = fc
  .record({
    kind: fc.constantFrom(...agencyKinds),
    specialisms: fc.subarray(['parenting', 'attendance', 'housing', 'mental-health']),
    localities: fc.subarray(['west', 'east']),
    cityWide: fc.boolean(),
    minAge: fc.integer({ min: 0, max: 10 }),
    span: fc.integer({ min: 0, max: 15 }),
    capacity: fc.integer({ min: 0, max: 3 }),
    active: fc.integer({ min: 0, max: 3 }),
  })
  .map(({ span, active, ...a }) => ({
    ...a,
    maxAge: a.minAge + span,
    activeCases: Math.min(active, a.capacity),
  }));

const requestArb: fc.Arbitrary<Omit<MatchRequest, 'id' | 'involvedAgencyIds'> & { involved: number[] }> =
  fc.record({
    locality: fc.constantFrom('west', 'east', 'north'),
    needs: fc.uniqueArray(
      fc.record({
        code: fc.constantFrom('parenting', 'attendance', 'housing', 'mental-health'),
        severity: fc.integer({ min: 1, max: 3 }),
      }),
      { selector: (n) => n.code, maxLength: 3 },
    ),
    childAges: fc.array(fc.integer({ min: 0, max: 18 }), { maxLength: 3 }),
    involved: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 2 }),
  });

const batchArb = fc
  .record({
    agencies: fc.array(agencyArb, { minLength: 1, maxLength: 4 }),
    requests: fc.array(requestArb, { minLength: 1, maxLength: 6 }),
  })
  .map(({ agencies, requests }) => ({
    agencies: agencies.map((a, j) => ({ ...a, id: `A${j}` })),
    requests: requests.map(({ involved, ...r }, i) => ({
      ...r,
      id: `R${i}`,
      involvedAgencyIds: involved.map((j) => `A${j}`),
    })),
  }));

describe('proposal over random agencies and requests', () => {
  it('respects every hard rule and every capacity, and matches the brute-force optimum', () => {
    fc.assert(
      fc.property(batchArb, ({ agencies, requests }) => {
        const proposal = proposeMatches(agencies, requests);
        const byId = new Map(agencies.map((a) => [a.id, a]));
        const used = new Map<string, number>();
        for (const a of proposal.assignments) {
          const r = requests.find((x) => x.id === a.requestId)!;
          expect(brokenRule(r, indexAgency(byId.get(a.agencyId)!))).toBeNull();
          used.set(a.agencyId, (used.get(a.agencyId) ?? 0) + 1);
        }
        for (const [id, count] of used)
          expect(count).toBeLessThanOrEqual(byId.get(id)!.capacity - byId.get(id)!.activeCases);
        const c = buildCandidates(agencies, requests);
        const best = bruteForce({
          requestCount: c.requests.length,
          agencyCount: c.agencies.length,
          capacity: c.free,
          pairRequest: c.pairRequest,
          pairAgency: c.pairAgency,
          pairScore: c.pairScore,
        });
        expect(proposal.assignments.length).toBe(best[0]);
        expect(proposal.totalScore).toBe(best[1]! / SCORE_UNITS);
        // The float total of the chosen scores is that exact optimum too (scores are dyadic).
        expect(proposal.assignments.reduce((s, a) => s + a.score, 0)).toBe(best[1]! / SCORE_UNITS);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic: shuffling agencies and requests gives the same proposal', () => {
    fc.assert(
      fc.property(batchArb, fc.integer(), ({ agencies, requests }, seed) => {
        const shuffle = <T>(list: T[]) =>
          list
            .map((item, i) => ({ item, key: Math.imul(seed ^ (i + 1), 2654435761) >>> 0 }))
            .sort((a, b) => a.key - b.key)
            .map((x) => x.item);
        expect(proposeMatches(shuffle(agencies), shuffle(requests))).toEqual(
          proposeMatches(agencies, requests),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('gives no-capacity to a request that had candidates, and lists them as alternatives', () => {
    fc.assert(
      fc.property(batchArb, ({ agencies, requests }) => {
        const c = buildCandidates(agencies, requests);
        const proposal = proposeMatches(agencies, requests);
        for (const u of proposal.unassigned) {
          const i = c.requests.findIndex((r) => r.id === u.requestId);
          const candidates = c.pairStart[i + 1]! - c.pairStart[i]!;
          if (candidates > 0) {
            expect(u.reason).toBe('no-capacity');
            expect(u.alternatives.length).toBe(Math.min(3, candidates));
          } else {
            expect(u.alternatives).toEqual([]);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
