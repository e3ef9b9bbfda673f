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

/** Solves the batch; `capacity` is already capped and `hasPair` marks requests with a candidate. */
export function solveByShortestPaths(
  problem: AssignmentProblem,
  capacity: Int32Array,
  hasPair: Uint8Array,
): Assignment {
  const { requestCount: n, agencyCount: m, pairRequest, pairAgency, pairScore } = problem;
  const pairs = pairRequest.length;
  const U = m;
  const right = m + 1;
  // Arcs per request (CSR, input order), then one arc to U: arc x of request r is at first[r] + r + x.
  const first = new Int32Array(n + 1);
  for (let k = 0; k < pairs; k++) first[pairRequest[k]! + 1]!++;
  for (let i = 0; i < n; i++) first[i + 1]! += first[i]!;
  const arcStart = (r: number) => first[r]! + r;
  const arcEnd = (r: number) => first[r + 1]! + r + 1; // exclusive; the last arc goes to U
  const arcs = pairs + n;
  const arcTo = new Int32Array(arcs);
  const arcCost = new Float64Array(W * arcs);
  const fill = Int32Array.from({ length: n }, (_, i) => arcStart(i));
  let maxScore = 0;
  for (let k = 0; k < pairs; k++) maxScore = Math.max(maxScore, pairScore[k]!);
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

  const cap = new Int32Array(right);
  cap.set(capacity);
  cap[U] = n;
  const load = new Int32Array(right);
  // Requests placed at each right node, packed per node (swap-removal), and the arc each uses.
  const memberStart = new Int32Array(right + 1);
  for (let j = 0; j < right; j++) memberStart[j + 1] = memberStart[j]! + cap[j]!;
  const members = new Int32Array(memberStart[right]!);
  const slot = new Int32Array(n);
  const assign = new Int32Array(n).fill(-1);
  const assignArc = new Int32Array(n).fill(-1);

  // Potentials (reduced cost c - pi(tail) + pi(head) >= 0 on every residual arc); the sink's stays
  // 0 because each update adds d(sink) - d(sink) to it. Requests start at their cheapest arc.
  const piReq = new Float64Array(W * n);
  const piRight = new Float64Array(W * right);
  for (let r = 0; r < n; r++) {
    let best = arcEnd(r) - 1;
    for (let x = arcStart(r); x < arcEnd(r); x++) if (less(arcCost, x, arcCost, best)) best = x;
    for (let c = 0; c < W; c++) piReq[W * r + c] = arcCost[W * best + c]!;
  }

  const d = new Float64Array(W * right).fill(Number.POSITIVE_INFINITY);
  const parentArc = new Int32Array(right);
  const parentReq = new Int32Array(right);
  const final = new Uint8Array(right);
  const reqD = new Float64Array(W * n);
  const visited = new Int32Array(n);
  const reached = new Int32Array(right);
  const sink = new Float64Array(W);
  const tmp = new Float64Array(W);
  const moveReq = new Int32Array(n);
  const moveArc = new Int32Array(n);

  for (let i = 0; i < n; i++) {
    if (hasPair[i] === 0) continue;
    let reachedCount = 0;
    let visitedCount = 0;
    // Relax every arc of request r, at distance reqD[r], except the one it is placed on.
    const relax = (r: number, skip: number) => {
      for (let x = arcStart(r), e = arcEnd(r); x < e; x++) {
        const k = arcTo[x]!;
        if (x === skip || final[k] === 1) continue;
        for (let c = 0; c < W; c++) {
          tmp[c] = reqD[W * r + c]! + arcCost[W * x + c]! - piReq[W * r + c]! + piRight[W * k + c]!;
        }
        if (less(tmp, 0, d, k)) {
          if (d[W * k] === Number.POSITIVE_INFINITY) reached[reachedCount++] = k;
          d.set(tmp, W * k);
          parentArc[k] = x;
          parentReq[k] = r;
        }
      }
    };
    reqD.fill(0, W * i, W * i + W);
    visited[visitedCount++] = i;
    relax(i, -1);
    sink.fill(Number.POSITIVE_INFINITY);
    let end = -1;
    for (;;) {
      let j = -1;
      for (let x = 0; x < reachedCount; x++) {
        const k = reached[x]!;
        if (final[k] === 0 && (j < 0 || less(d, k, d, j) || (!less(d, j, d, k) && k < j))) j = k;
      }
      if (j < 0 || !less(d, j, sink, 0)) break;
      final[j] = 1;
      if (load[j]! < cap[j]!) {
        for (let c = 0; c < W; c++) tmp[c] = d[W * j + c]! - piRight[W * j + c]!;
        if (less(tmp, 0, sink, 0)) {
          sink.set(tmp);
          end = j;
        }
      }
      // On through the requests placed at j (reverse arcs j -> r, cost minus the arc r uses).
      for (let s = memberStart[j]!, e = s + load[j]!; s < e; s++) {
        const r = members[s]!;
        const x = assignArc[r]!;
        for (let c = 0; c < W; c++) {
          reqD[W * r + c] = d[W * j + c]! - arcCost[W * x + c]! - piRight[W * j + c]! + piReq[W * r + c]!;
        }
        visited[visitedCount++] = r;
        relax(r, x);
      }
    }
    // Potentials: pi += d(sink) - min(d, d(sink)) on everything the search reached.
    for (let x = 0; x < reachedCount; x++) {
      const k = reached[x]!;
      if (final[k] === 1) for (let c = 0; c < W; c++) piRight[W * k + c]! += sink[c]! - d[W * k + c]!;
      final[k] = 0;
    }
    for (let v = 0; v < visitedCount; v++) {
      const r = visited[v]!;
      if (less(reqD, r, sink, 0))
        for (let c = 0; c < W; c++) piReq[W * r + c]! += sink[c]! - reqD[W * r + c]!;
    }
    for (let x = 0; x < reachedCount; x++)
      d.fill(Number.POSITIVE_INFINITY, W * reached[x]!, W * reached[x]! + W);
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
