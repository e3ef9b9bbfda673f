import fc from 'fast-check';
import GLPKFactory from 'glpk.js/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { solveMaxFlow } from '../../src/domain/max-flow.ts';
import { type FlowProblem, solveMinCostFlow } from '../../src/domain/min-cost-flow.ts';

/*
 * The flow solvers under the batch proposal, against an independent reference: glpk.js solving
 * the same network as a linear program (network LPs have integral optima).
 */

type Glpk = Awaited<ReturnType<typeof GLPKFactory>>;
let glpk: Glpk;
beforeAll(async () => {
  glpk = await GLPKFactory();
});

/**
 * glpk.js aborts on an LP without variables or with an empty row: a dummy variable fixed at 0
 * (coefficient 0 everywhere) keeps every LP well-formed without changing it.
 */
const dummy = { name: 'dummy', coef: 0 };
const dummyBound = { name: 'dummy', type: 5 /* GLP_FX */, lb: 0, ub: 0 };

/** Min-cost flow as an LP; null when glpk finds no feasible flow. */
function glpkMinCost(p: FlowProblem): number | null {
  const arcs = Array.from(p.tail, (_, k) => k);
  const result = glpk.solve(
    {
      name: 'mcf',
      objective: {
        direction: glpk.GLP_MIN,
        name: 'cost',
        vars: [dummy, ...arcs.map((k) => ({ name: `x${k}`, coef: p.cost[k]! }))],
      },
      subjectTo: Array.from({ length: p.nodeCount }, (_, v) => ({
        name: `n${v}`,
        vars: [
          dummy,
          ...arcs.flatMap((k) => [
            ...(p.tail[k] === v ? [{ name: `x${k}`, coef: 1 }] : []),
            ...(p.head[k] === v ? [{ name: `x${k}`, coef: -1 }] : []),
          ]),
        ],
        bnds: { type: glpk.GLP_FX, lb: p.supply[v]!, ub: p.supply[v]! },
      })),
      bounds: [
        dummyBound,
        ...arcs.map((k) => ({
          name: `x${k}`,
          type: p.capacity[k] === 0 ? glpk.GLP_FX : glpk.GLP_DB,
          lb: 0,
          ub: p.capacity[k]!,
        })),
      ],
    },
    { msglev: glpk.GLP_MSG_OFF },
  );
  return result.result.status === glpk.GLP_OPT ? result.result.z : null;
}

const networkArb: fc.Arbitrary<FlowProblem> = fc.integer({ min: 2, max: 7 }).chain((n) =>
  fc
    .record({
      arcs: fc.array(
        fc
          .record({
            u: fc.integer({ min: 0, max: n - 1 }),
            v: fc.integer({ min: 0, max: n - 1 }),
            cap: fc.integer({ min: 0, max: 4 }),
            cost: fc.integer({ min: -6, max: 6 }),
          })
          .filter((a) => a.u !== a.v),
        { maxLength: 16 },
      ),
      supply: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: n, maxLength: n }),
    })
    .map(({ arcs, supply }) => {
      // Balance the supplies on the last node.
      supply[n - 1] = supply[n - 1]! - supply.reduce((s, x) => s + x, 0);
      return {
        nodeCount: n,
        supply: Int32Array.from(supply),
        tail: Int32Array.from(arcs, (a) => a.u),
        head: Int32Array.from(arcs, (a) => a.v),
        capacity: Int32Array.from(arcs, (a) => a.cap),
        cost: Float64Array.from(arcs, (a) => a.cost),
      };
    }),
);

describe('min-cost flow (cost scaling)', () => {
  it('finds the same optimum as glpk, or reports infeasible when glpk does', () => {
    fc.assert(
      fc.property(networkArb, (p) => {
        const ours = solveMinCostFlow(p);
        const reference = glpkMinCost(p);
        if (reference === null) {
          expect(ours.kind).toBe('infeasible');
          return;
        }
        expect(ours.kind).toBe('optimal');
        if (ours.kind !== 'optimal') return;
        expect(ours.cost).toBe(reference);
        // A feasible flow whose cost is the one reported.
        const balance = new Int32Array(p.nodeCount);
        let cost = 0;
        ours.flow.forEach((f, k) => {
          expect(f).toBeGreaterThanOrEqual(0);
          expect(f).toBeLessThanOrEqual(p.capacity[k]!);
          balance[p.tail[k]!]! += f;
          balance[p.head[k]!]! -= f;
          cost += f * p.cost[k]!;
        });
        expect(Array.from(balance)).toEqual(Array.from(p.supply));
        expect(cost).toBe(ours.cost);
        // Exact optimal potentials: complementary slackness on every arc.
        ours.flow.forEach((f, k) => {
          const rc = p.cost[k]! + ours.potential[p.tail[k]!]! - ours.potential[p.head[k]!]!;
          if (f < p.capacity[k]!) expect(rc).toBeGreaterThanOrEqual(0);
          if (f > 0) expect(rc).toBeLessThanOrEqual(0);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('is exact with a tight cycle bound on bipartite networks', () => {
    // Two sources, two sinks, every arc across: simple cycles have at most 4 arcs.
    const p: FlowProblem = {
      nodeCount: 4,
      supply: Int32Array.from([2, 1, -1, -2]),
      tail: Int32Array.from([0, 0, 1, 1]),
      head: Int32Array.from([2, 3, 2, 3]),
      capacity: Int32Array.from([2, 2, 2, 2]),
      cost: Float64Array.from([-1_000_003, -1_000_000, -999_999, -1_000_001]),
      cycleBound: 4,
    };
    const ours = solveMinCostFlow(p);
    expect(ours.kind === 'optimal' && ours.cost).toBe(glpkMinCost(p));
  });

  it('refuses costs it could not handle exactly instead of answering roughly', () => {
    const p: FlowProblem = {
      nodeCount: 2,
      supply: Int32Array.from([1, -1]),
      tail: Int32Array.from([0]),
      head: Int32Array.from([1]),
      capacity: Int32Array.from([1]),
      cost: Float64Array.from([2 ** 50]),
    };
    expect(() => solveMinCostFlow(p)).toThrow(RangeError);
    expect(() => solveMinCostFlow({ ...p, cost: Float64Array.from([0.5]) })).toThrow(/not an integer/);
  });
});

describe('max flow (Dinic)', () => {
  it('finds the same value as glpk and a flow that respects capacities and conservation', () => {
    fc.assert(
      fc.property(networkArb, (p) => {
        const source = 0;
        const sink = p.nodeCount - 1;
        const ours = solveMaxFlow(p, source, sink);
        const arcs = Array.from(p.tail, (_, k) => k);
        const result = glpk.solve(
          {
            name: 'mf',
            objective: {
              direction: glpk.GLP_MAX,
              name: 'value',
              vars: [
                dummy,
                ...arcs.flatMap((k) => [
                  ...(p.tail[k] === source ? [{ name: `x${k}`, coef: 1 }] : []),
                  ...(p.head[k] === source ? [{ name: `x${k}`, coef: -1 }] : []),
                ]),
              ],
            },
            subjectTo: Array.from({ length: p.nodeCount }, (_, v) => v)
              .filter((v) => v !== source && v !== sink)
              .map((v) => ({
                name: `n${v}`,
                vars: [
                  dummy,
                  ...arcs.flatMap((k) => [
                    ...(p.tail[k] === v ? [{ name: `x${k}`, coef: 1 }] : []),
                    ...(p.head[k] === v ? [{ name: `x${k}`, coef: -1 }] : []),
                  ]),
                ],
                bnds: { type: glpk.GLP_FX, lb: 0, ub: 0 },
              })),
            bounds: [
              dummyBound,
              ...arcs.map((k) => ({
                name: `x${k}`,
                type: p.capacity[k] === 0 ? glpk.GLP_FX : glpk.GLP_DB,
                lb: 0,
                ub: p.capacity[k]!,
              })),
            ],
          },
          { msglev: glpk.GLP_MSG_OFF },
        );
        expect(ours.value).toBe(Math.round(result.result.z));
        const balance = new Int32Array(p.nodeCount);
        ours.flow.forEach((f, k) => {
          expect(f).toBeLessThanOrEqual(p.capacity[k]!);
          balance[p.tail[k]!]! += f;
          balance[p.head[k]!]! -= f;
        });
        balance.forEach((b, v) => {
          expect(b).toBe(v === source ? ours.value : v === sink ? 0 - ours.value || 0 : 0);
        });
      }),
      { numRuns: 300 },
    );
  });
});
