import type { Assignment, AssignmentProblem } from './assignment.ts';

/*
 * The same exact batch assignment as the cost-scaling pipeline in assignment.ts, for small batches
 * (a single sitting): successive shortest paths, one request at a time, in the style of
 * Jonker-Volgenant. Each search is a Dijkstra over the agencies only (plus "unassigned" U), moving
 * through the requests already placed, and usually stops after one or two agencies, so a sitting
 * costs microseconds instead of several whole-graph scaling passes.
 *
 * Costs are lexicographic triples (primary, request tie, agency tie): primary = B * [unassigned] -
 * score with B = cycleBound * maxScore + 1, so one more request assigned outweighs any score change
 * along a simple cycle; the ties are objectives 3 and 4 of assignment.ts. Dijkstra and node
 * potentials work over any ordered group, triples in lexicographic order included, so the result is
 * exactly the lexicographic optimum, with small integers throughout.
 */

/** Triples are stored interleaved: component c of item x is at 3 * x + c. */
const W = 3;

/** (a at i) < (b at j), lexicographically. */
function less(a: Float64Array, i: number, b: Float64Array, j: number): boolean {
  const ai = W * i;
  const bj = W * j;
  if (a[ai] !== b[bj]) return a[ai]! < b[bj]!;
  if (a[ai + 1] !== b[bj + 1]) return a[ai + 1]! < b[bj + 1]!;
  return a[ai + 2]! < b[bj + 2]!;
}

/**
 * Reused working memory. Allocating twenty-odd small typed arrays per call (each its own backing
 * store) costs more than a sitting's whole search. Safe because the solver is synchronous, is never
 * re-entered, zeroes what it takes, and returns nothing that points into it. Buffers above the
 * limit are used once and not kept.
 */
let scratchF64 = new Float64Array(0);
let scratchI32 = new Int32Array(0);
const KEEP_AT_MOST = 1 << 20;

function scratch(floats: number, ints: number): { f64: Float64Array; i32: Int32Array } {
  const f64 = floats <= scratchF64.length ? scratchF64 : new Float64Array(floats);
  const i32 = ints <= scratchI32.length ? scratchI32 : new Int32Array(ints);
  if (f64 !== scratchF64 && floats <= KEEP_AT_MOST) scratchF64 = f64;
  if (i32 !== scratchI32 && ints <= KEEP_AT_MOST) scratchI32 = i32;
  f64.fill(0, 0, floats);
  i32.fill(0, 0, ints);
  return { f64, i32 };
}

/** Solves the batch (validating the pairs as assignment.ts does). */
export function solveByShortestPaths(problem: AssignmentProblem): Assignment {
  const { requestCount: n, agencyCount: m, pairRequest, pairAgency, pairScore } = problem;
  const pairs = pairRequest.length;
  const U = m;
  const right = m + 1;
  const arcs = pairs + n;
  // Capacity is at most n per agency (n for U), so n * (m + 2) bounds the member slots.
  const places = n * (m + 2);
  const { f64, i32 } = scratch(W * (arcs + 2 * n + 2 * right), 2 * arcs + 10 * n + 8 * right + places + 2);
  let fAt = 0;
  let iAt = 0;
  const floats = (length: number) => {
    const view = new Float64Array(f64.buffer, 8 * fAt, length);
    fAt += length;
    return view;
  };
  const ints = (length: number) => {
    const view = new Int32Array(i32.buffer, 4 * iAt, length);
    iAt += length;
    return view;
  };
  // Arcs per request (CSR, input order), then one arc to U: arc x of request r is at first[r] + r + x.
  const first = ints(n + 1);
  const degree = ints(right);
  let maxScore = 0;
  for (let k = 0; k < pairs; k++) {
    const i = pairRequest[k]!;
    const j = pairAgency[k]!;
    const score = pairScore[k]!;
    if (i < 0 || i >= n || j < 0 || j >= m) throw new RangeError(`pair ${k} is out of range`);
    if (Math.floor(score) !== score || score < 0)
      throw new RangeError(`score of pair ${k} must be an integer >= 0`);
    first[i + 1]!++;
    degree[j]!++;
    if (score > maxScore) maxScore = score;
  }
  for (let i = 0; i < n; i++) first[i + 1]! += first[i]!;
  const arcStart = (r: number) => first[r]! + r;
  const arcEnd = (r: number) => first[r + 1]! + r + 1; // exclusive; the last arc goes to U
  const arcTo = ints(arcs);
  const arcCost = floats(W * arcs);
  const fill = ints(n);
  for (let i = 0; i < n; i++) fill[i] = arcStart(i);
  const B = 2 * Math.min(right, n + 1) * maxScore + 1;
  for (let k = 0; k < pairs; k++) {
    const r = pairRequest[k]!;
    const x = fill[r]!++;
    arcTo[x] = pairAgency[k]!;
    arcCost[W * x] = -pairScore[k]!;
    arcCost[W * x + 2] = pairAgency[k]! * (n - r);
  }
  for (let r = 0; r < n; r++) {
    const x = arcEnd(r) - 1;
    arcTo[x] = U;
    arcCost[W * x] = B;
    arcCost[W * x + 1] = n - r;
  }

  // Free places, capped by the candidates (more could never be used).
  const cap = ints(right);
  for (let j = 0; j < m; j++) cap[j] = Math.max(0, Math.min(problem.capacity[j] ?? 0, degree[j]!));
  cap[U] = n;
  const load = ints(right);
  // Requests placed at each right node, packed per node (swap-removal), and the arc each uses.
  const memberStart = ints(right + 1);
  for (let j = 0; j < right; j++) memberStart[j + 1] = memberStart[j]! + cap[j]!;
  const members = ints(memberStart[right]!);
  const slot = ints(n);
  const assign = ints(n).fill(-1);
  const assignArc = ints(n).fill(-1);

  // Potentials (reduced cost c - pi(tail) + pi(head) >= 0 on every residual arc); the sink's stays
  // 0 because each update adds d(sink) - d(sink) to it. Requests start at their cheapest arc.
  const piReq = floats(W * n);
  const piRight = floats(W * right);
  for (let r = 0; r < n; r++) {
    let best = arcEnd(r) - 1;
    for (let x = arcStart(r); x < arcEnd(r); x++) if (less(arcCost, x, arcCost, best)) best = x;
    for (let c = 0; c < W; c++) piReq[W * r + c] = arcCost[W * best + c]!;
  }

  const d = floats(W * right).fill(Number.POSITIVE_INFINITY);
  const parentArc = ints(right);
  const parentReq = ints(right);
  const final = ints(right);
  const reqD = floats(W * n);
  const visited = ints(n);
  const reached = ints(right);
  const moveReq = ints(n);
  const moveArc = ints(n);
  // Relaxes every arc of request r (at distance reqD[r]) except `skip`, the one it is placed on;
  // returns the new count of reached nodes. The triples are unrolled by hand and the count is
  // passed in and out (a counter captured and changed by a closure would live in a heap context):
  // this is the hot path of a sitting.
  const relax = (r: number, skip: number, count: number): number => {
    let reachedCount = count;
    const r3 = W * r;
    const b0 = reqD[r3]! - piReq[r3]!;
    const b1 = reqD[r3 + 1]! - piReq[r3 + 1]!;
    const b2 = reqD[r3 + 2]! - piReq[r3 + 2]!;
    for (let x = arcStart(r), e = arcEnd(r); x < e; x++) {
      const k = arcTo[x]!;
      if (x === skip || final[k] === 1) continue;
      const x3 = W * x;
      const k3 = W * k;
      const c0 = b0 + arcCost[x3]! + piRight[k3]!;
      const d0 = d[k3]!;
      if (c0 > d0) continue;
      const c1 = b1 + arcCost[x3 + 1]! + piRight[k3 + 1]!;
      const c2 = b2 + arcCost[x3 + 2]! + piRight[k3 + 2]!;
      if (c0 === d0 && (c1 > d[k3 + 1]! || (c1 === d[k3 + 1] && c2 >= d[k3 + 2]!))) continue;
      if (d0 === Number.POSITIVE_INFINITY) reached[reachedCount++] = k;
      d[k3] = c0;
      d[k3 + 1] = c1;
      d[k3 + 2] = c2;
      parentArc[k] = x;
      parentReq[k] = r;
    }
    return reachedCount;
  };

  for (let i = 0; i < n; i++) {
    if (first[i + 1] === first[i]) continue; // no candidate: stays unassigned
    // Fast path, exactly what the search below would do when it settles only one node: the
    // cheapest arc (ties to the lower agency) leads to a node with a free place and potential 0,
    // so the sink is as close as that node and nothing else moves. Most of a sitting goes here.
    {
      const i3 = W * i;
      let best = -1;
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      for (let x = arcStart(i), e = arcEnd(i); x < e; x++) {
        const k3 = W * arcTo[x]!;
        const c0 = arcCost[W * x]! - piReq[i3]! + piRight[k3]!;
        const c1 = arcCost[W * x + 1]! - piReq[i3 + 1]! + piRight[k3 + 1]!;
        const c2 = arcCost[W * x + 2]! - piReq[i3 + 2]! + piRight[k3 + 2]!;
        if (
          best < 0 ||
          c0 < b0 ||
          (c0 === b0 && (c1 < b1 || (c1 === b1 && (c2 < b2 || (c2 === b2 && arcTo[x]! < arcTo[best]!)))))
        ) {
          best = x;
          b0 = c0;
          b1 = c1;
          b2 = c2;
        }
      }
      const k = arcTo[best]!;
      const k3 = W * k;
      if (load[k]! < cap[k]! && piRight[k3] === 0 && piRight[k3 + 1] === 0 && piRight[k3 + 2] === 0) {
        piReq[i3]! += b0;
        piReq[i3 + 1]! += b1;
        piReq[i3 + 2]! += b2;
        const at = memberStart[k]! + load[k]!++;
        members[at] = i;
        slot[i] = at;
        assign[i] = k;
        assignArc[i] = best;
        continue;
      }
    }
    let reachedCount = 0;
    let visitedCount = 0;
    const i3 = W * i;
    reqD[i3] = 0;
    reqD[i3 + 1] = 0;
    reqD[i3 + 2] = 0;
    visited[visitedCount++] = i;
    reachedCount = relax(i, -1, reachedCount);
    let s0 = Number.POSITIVE_INFINITY;
    let s1 = Number.POSITIVE_INFINITY;
    let s2 = Number.POSITIVE_INFINITY;
    let end = -1;
    for (;;) {
      // The closest unsettled node; ties go to the lower index.
      let j = -1;
      let dj0 = Number.POSITIVE_INFINITY;
      let dj1 = Number.POSITIVE_INFINITY;
      let dj2 = Number.POSITIVE_INFINITY;
      for (let x = 0; x < reachedCount; x++) {
        const k = reached[x]!;
        if (final[k] === 1) continue;
        const k3 = W * k;
        const e0 = d[k3]!;
        if (e0 > dj0) continue;
        const e1 = d[k3 + 1]!;
        const e2 = d[k3 + 2]!;
        if (e0 === dj0 && (e1 > dj1 || (e1 === dj1 && (e2 > dj2 || (e2 === dj2 && k > j))))) continue;
        j = k;
        dj0 = e0;
        dj1 = e1;
        dj2 = e2;
      }
      if (j < 0) break;
      const j3 = W * j;
      // Stop once the sink is at least as close as every unsettled node.
      if (dj0 > s0 || (dj0 === s0 && (dj1 > s1 || (dj1 === s1 && dj2 >= s2)))) break;
      final[j] = 1;
      if (load[j]! < cap[j]!) {
        const t0 = dj0 - piRight[j3]!;
        const t1 = dj1 - piRight[j3 + 1]!;
        const t2 = dj2 - piRight[j3 + 2]!;
        if (t0 < s0 || (t0 === s0 && (t1 < s1 || (t1 === s1 && t2 < s2)))) {
          s0 = t0;
          s1 = t1;
          s2 = t2;
          end = j;
        }
      }
      // On through the requests placed at j (reverse arcs j -> r, cost minus the arc r uses).
      for (let slotAt = memberStart[j]!, e = slotAt + load[j]!; slotAt < e; slotAt++) {
        const r = members[slotAt]!;
        const x3 = W * assignArc[r]!;
        const r3 = W * r;
        reqD[r3] = dj0 - arcCost[x3]! - piRight[j3]! + piReq[r3]!;
        reqD[r3 + 1] = dj1 - arcCost[x3 + 1]! - piRight[j3 + 1]! + piReq[r3 + 1]!;
        reqD[r3 + 2] = dj2 - arcCost[x3 + 2]! - piRight[j3 + 2]! + piReq[r3 + 2]!;
        visited[visitedCount++] = r;
        reachedCount = relax(r, assignArc[r]!, reachedCount);
      }
    }
    // Potentials: pi += d(sink) - min(d, d(sink)) on everything the search reached; then reset.
    for (let x = 0; x < reachedCount; x++) {
      const k = reached[x]!;
      const k3 = W * k;
      if (final[k] === 1) {
        piRight[k3]! += s0 - d[k3]!;
        piRight[k3 + 1]! += s1 - d[k3 + 1]!;
        piRight[k3 + 2]! += s2 - d[k3 + 2]!;
      }
      final[k] = 0;
      d[k3] = Number.POSITIVE_INFINITY;
      d[k3 + 1] = Number.POSITIVE_INFINITY;
      d[k3 + 2] = Number.POSITIVE_INFINITY;
    }
    for (let v = 0; v < visitedCount; v++) {
      const r3 = W * visited[v]!;
      const q0 = reqD[r3]!;
      const q1 = reqD[r3 + 1]!;
      const q2 = reqD[r3 + 2]!;
      if (q0 < s0 || (q0 === s0 && (q1 < s1 || (q1 === s1 && q2 < s2)))) {
        piReq[r3]! += s0 - q0;
        piReq[r3 + 1]! += s1 - q1;
        piReq[r3 + 2]! += s2 - q2;
      }
    }
    // Augment along the parents: each request moves to the node that reached it. All removals
    // first, then all additions, so no node's packed member list overflows on the way.
    let moveCount = 0;
    for (let j = end; ; ) {
      const r = parentReq[j]!;
      moveReq[moveCount] = r;
      moveArc[moveCount++] = parentArc[j]!;
      if (r === i) break;
      j = assign[r]!;
    }
    for (let x = 0; x < moveCount; x++) {
      const r = moveReq[x]!;
      const old = assign[r]!;
      if (old < 0) continue;
      const lastSlot = memberStart[old]! + --load[old]!;
      const moved = members[lastSlot]!;
      members[slot[r]!] = moved;
      slot[moved] = slot[r]!;
    }
    for (let x = 0; x < moveCount; x++) {
      const r = moveReq[x]!;
      const j = arcTo[moveArc[x]!]!;
      const at = memberStart[j]! + load[j]!++;
      members[at] = r;
      slot[r] = at;
      assign[r] = j;
      assignArc[r] = moveArc[x]!;
    }
  }

  const agencyOf = new Int32Array(n).fill(-1);
  let assigned = 0;
  let totalScore = 0;
  for (let r = 0; r < n; r++) {
    const j = assign[r]!;
    if (j < 0 || j === U) continue;
    agencyOf[r] = j;
    assigned++;
    totalScore -= arcCost[W * assignArc[r]!]!;
  }
  return { agencyOf, assigned, totalScore };
}
