import { type ArcList, buildResidual } from './residual-network.ts';

/** A maximum flow: its value and the flow on each input arc. */
export interface MaxFlow {
  value: number;
  flow: Int32Array;
}

/**
 * Maximum flow from `source` to `sink` by Dinic's blocking flows: O(E sqrt V) on the unit-capacity
 * bipartite networks the matching builds. Pure and deterministic (arcs are tried in input order).
 * `start`, when given, is a feasible flow to start from (e.g. a greedy one): only the rest is
 * augmented.
 */
export function solveMaxFlow(problem: ArcList, source: number, sink: number, start?: Int32Array): MaxFlow {
  const n = problem.nodeCount;
  const m = problem.tail.length;
  const net = buildResidual(problem, null, 1);
  const { first, head, rev, res } = net;
  let value = 0;
  if (start !== undefined) {
    for (let k = 0; k < m; k++) {
      const f = start[k]!;
      if (f === 0) continue;
      const a = net.arcOf[k]!;
      res[a]! -= f;
      res[rev[a]!]! += f;
      if (problem.tail[k] === source) value += f;
      if (problem.head[k] === source) value -= f;
    }
  }
  const level = new Int32Array(n);
  const queue = new Int32Array(n);
  const current = new Int32Array(n);
  const path = new Int32Array(n);
  for (;;) {
    level.fill(-1);
    level[source] = 0;
    let qh = 0;
    let qt = 0;
    queue[qt++] = source;
    while (qh < qt) {
      const v = queue[qh++]!;
      for (let a = first[v]!, end = first[v + 1]!; a < end; a++) {
        const w = head[a]!;
        if (res[a]! > 0 && level[w]! < 0) {
          level[w] = level[v]! + 1;
          queue[qt++] = w;
        }
      }
    }
    if (level[sink]! < 0) break;
    current.set(first.subarray(0, n));
    // Blocking flow by iterative depth-first search along level-increasing arcs.
    let depth = 0;
    let v = source;
    for (;;) {
      if (v === sink) {
        let bottleneck = Number.MAX_SAFE_INTEGER;
        for (let i = 0; i < depth; i++) bottleneck = Math.min(bottleneck, res[path[i]!]!);
        for (let i = 0; i < depth; i++) {
          res[path[i]!]! -= bottleneck;
          res[rev[path[i]!]!]! += bottleneck;
        }
        value += bottleneck;
        depth = 0;
        v = source;
        continue;
      }
      const end = first[v + 1]!;
      let a = current[v]!;
      while (a < end && (res[a]! <= 0 || level[head[a]!]! !== level[v]! + 1)) a++;
      current[v] = a;
      if (a < end) {
        path[depth++] = a;
        v = head[a]!;
        continue;
      }
      // Dead end: never come back here in this phase; step back and skip the arc that led here.
      level[v] = -1;
      if (depth === 0) break;
      const back = path[--depth]!;
      v = head[rev[back]!]!;
      current[v]!++;
    }
  }
  const flow = new Int32Array(m);
  for (let k = 0; k < m; k++) flow[k] = res[rev[net.arcOf[k]!]!]!;
  return { value, flow };
}
