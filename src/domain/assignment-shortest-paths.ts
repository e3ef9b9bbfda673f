import type { Assignment, AssignmentProblem } from './assignment.ts';

/*
 * The same exact batch assignment as the cost-scaling pipeline in assignment.ts, for small batches
 * (a single sitting): successive shortest paths, one request at a time, in the style of
 * Jonker-Volgenant. Each search is a Dijkstra over the agencies only (plus "unassigned" U), moving
 * through the requests already placed, and usually stops after one or two agencies, so a sitting
 * costs a few microseconds instead of several whole-graph scaling passes.
 *
 * Costs are lexicographic pairs (primary, tie): primary = B * [unassigned] - score, with
 * B = cycleBound * maxScore + 1, so one more request assigned outweighs any score change along a
 * simple cycle; tie = the id tie-break of assignment.ts. Dijkstra and node potentials work over
 * any ordered group, pairs in lexicographic order included, so the result is exactly the
 * lexicographic optimum (most assigned, then best total score, then the tie-break), with small
 * integers throughout.
 */

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
  // Candidate arcs per request (CSR), in input order.
  const first = new Int32Array(n + 1);
  for (let k = 0; k < pairs; k++) first[pairRequest[k]! + 1]!++;
  for (let i = 0; i < n; i++) first[i + 1]! += first[i]!;
  const fill = first.slice(0, n);
  const arcTo = new Int32Array(pairs);
  const arcP = new Float64Array(pairs);
  const arcT = new Float64Array(pairs);
  let maxScore = 0;
  for (let k = 0; k < pairs; k++) maxScore = Math.max(maxScore, pairScore[k]!);
  const B = 2 * Math.min(right, n + 1) * maxScore + 1;
  for (let k = 0; k < pairs; k++) {
    const x = fill[pairRequest[k]!]!++;
    arcTo[x] = pairAgency[k]!;
    arcP[x] = -pairScore[k]!;
    arcT[x] = pairAgency[k]!;
  }
  const uTie = (i: number) => (n - i) * (m + 1);

  const cap = new Int32Array(right);
  cap.set(capacity);
  cap[U] = n;
  const load = new Int32Array(right);
  // Members of each right node, packed per node with swap-removal.
  const memberStart = new Int32Array(right + 1);
  for (let j = 0; j < right; j++) memberStart[j + 1] = memberStart[j]! + cap[j]!;
  const members = new Int32Array(memberStart[right]!);
  const slot = new Int32Array(n);
  const assign = new Int32Array(n).fill(-1);

  // Potentials (Ahuja's convention: reduced cost c - pi(tail) + pi(head) >= 0 on residual arcs).
  const piReqP = new Float64Array(n);
  const piReqT = new Float64Array(n);
  const piRightP = new Float64Array(right);
  const piRightT = new Float64Array(right);
  for (let i = 0; i < n; i++) {
    let bp = B;
    let bt = uTie(i);
    for (let x = first[i]!; x < first[i + 1]!; x++) {
      if (arcP[x]! < bp || (arcP[x] === bp && arcT[x]! < bt)) {
        bp = arcP[x]!;
        bt = arcT[x]!;
      }
    }
    piReqP[i] = bp;
    piReqT[i] = bt;
  }
  // The sink's potential stays 0: the update adds d(sink) - d(sink) to it.

  const dP = new Float64Array(right);
  const dT = new Float64Array(right);
  const parent = new Int32Array(right);
  const final = new Uint8Array(right);
  const reqDP = new Float64Array(n);
  const reqDT = new Float64Array(n);
  const visited = new Int32Array(n);
  const finals = new Int32Array(right);
  const moveReq = new Int32Array(n);
  const moveTo = new Int32Array(n);

  // Right nodes reached by the current search: only these are scanned for the minimum and reset.
  const reached = new Int32Array(right);
  let reachedCount = 0;
  dP.fill(Number.POSITIVE_INFINITY);
  dT.fill(Number.POSITIVE_INFINITY);
  for (let i = 0; i < n; i++) {
    if (hasPair[i] === 0) continue;
    for (let x = 0; x < reachedCount; x++) {
      const k = reached[x]!;
      dP[k] = Number.POSITIVE_INFINITY;
      dT[k] = Number.POSITIVE_INFINITY;
      final[k] = 0;
    }
    reachedCount = 0;
    let visitedCount = 0;
    let finalCount = 0;
    // Relax every arc of request r, whose distance is (rp, rt), except to `skip`.
    const relax = (r: number, rp: number, rt: number, skip: number) => {
      const basP = rp - piReqP[r]!;
      const basT = rt - piReqT[r]!;
      for (let x = first[r]!; x <= first[r + 1]!; x++) {
        const last = x === first[r + 1]!;
        const k = last ? U : arcTo[x]!;
        if (k === skip || final[k] === 1) continue;
        const cp = basP + (last ? B : arcP[x]!) + piRightP[k]!;
        const ct = basT + (last ? uTie(r) : arcT[x]!) + piRightT[k]!;
        if (cp < dP[k]! || (cp === dP[k] && ct < dT[k]!)) {
          if (dP[k] === Number.POSITIVE_INFINITY) reached[reachedCount++] = k;
          dP[k] = cp;
          dT[k] = ct;
          parent[k] = r;
        }
      }
    };
    relax(i, 0, 0, -1);
    let sinkP = Number.POSITIVE_INFINITY;
    let sinkT = Number.POSITIVE_INFINITY;
    let end = -1;
    for (;;) {
      let j = -1;
      for (let x = 0; x < reachedCount; x++) {
        const k = reached[x]!;
        if (final[k] !== 0) continue;
        // Ties go to the lower index, so the search does not depend on the order reached.
        if (
          j < 0 ||
          dP[k]! < dP[j]! ||
          (dP[k] === dP[j] && (dT[k]! < dT[j]! || (dT[k] === dT[j] && k < j)))
        ) {
          j = k;
        }
      }
      if (j < 0 || dP[j] === Number.POSITIVE_INFINITY) break;
      if (dP[j]! > sinkP || (dP[j] === sinkP && dT[j]! >= sinkT)) break;
      final[j] = 1;
      finals[finalCount++] = j;
      if (load[j]! < cap[j]!) {
        const sp = dP[j]! - piRightP[j]!;
        const st = dT[j]! - piRightT[j]!;
        if (sp < sinkP || (sp === sinkP && st < sinkT)) {
          sinkP = sp;
          sinkT = st;
          end = j;
        }
      }
      // Move on through the requests placed at j (reverse arcs j -> r).
      for (let s = memberStart[j]!, e = s + load[j]!; s < e; s++) {
        const r = members[s]!;
        const x = arcIndex(first, arcTo, r, j);
        const cp = x < 0 ? B : arcP[x]!;
        const ct = x < 0 ? uTie(r) : arcT[x]!;
        const rp = dP[j]! - cp - piRightP[j]! + piReqP[r]!;
        const rt = dT[j]! - ct - piRightT[j]! + piReqT[r]!;
        reqDP[r] = rp;
        reqDT[r] = rt;
        visited[visitedCount++] = r;
        relax(r, rp, rt, j);
      }
    }
    // Potentials: pi += d(sink) - min(d, d(sink)) on everything the search settled.
    for (let f = 0; f < finalCount; f++) {
      const j = finals[f]!;
      piRightP[j]! += sinkP - dP[j]!;
      piRightT[j]! += sinkT - dT[j]!;
    }
    for (let v = 0; v < visitedCount; v++) {
      const r = visited[v]!;
      if (reqDP[r]! < sinkP || (reqDP[r] === sinkP && reqDT[r]! < sinkT)) {
        piReqP[r]! += sinkP - reqDP[r]!;
        piReqT[r]! += sinkT - reqDT[r]!;
      }
    }
    piReqP[i]! += sinkP;
    piReqT[i]! += sinkT;
    // Augment along the parents: each request moves to the node that reached it. All removals
    // first, then all additions, so no node's packed member list overflows on the way.
    let moveCount = 0;
    for (let j = end; ; ) {
      const r = parent[j]!;
      moveReq[moveCount] = r;
      moveTo[moveCount++] = j;
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
      const j = moveTo[x]!;
      const at = memberStart[j]! + load[j]!++;
      members[at] = r;
      slot[r] = at;
      assign[r] = j;
    }
  }

  const agencyOf = new Int32Array(n).fill(-1);
  let assigned = 0;
  let totalScore = 0;
  for (let i = 0; i < n; i++) {
    const j = assign[i]!;
    if (j < 0 || j === U) continue;
    agencyOf[i] = j;
    assigned++;
    const x = arcIndex(first, arcTo, i, j);
    totalScore -= arcP[x]!;
  }
  return { agencyOf, assigned, totalScore };
}

/** Position of request r's arc to agency j in the CSR arrays, or -1 for U (no arc). */
function arcIndex(first: Int32Array, arcTo: Int32Array, r: number, j: number): number {
  for (let x = first[r]!; x < first[r + 1]!; x++) if (arcTo[x] === j) return x;
  return -1;
}
