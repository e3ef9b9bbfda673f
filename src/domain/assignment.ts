import { solveByShortestPaths } from './assignment-shortest-paths.ts';
import { solveMaxFlow } from './max-flow.ts';
import { type FlowProblem, solveMinCostFlow } from './min-cost-flow.ts';

/*
 * The batch assignment behind the matching proposal, solved exactly. The objective is
 * lexicographic, each step among the optima of the one before:
 *
 *   1. the most requests assigned;
 *   2. the highest total score;
 *   3. ties by id, first for requests: minimise the sum over unassigned requests of
 *      (requests - position), so of equally scored requests competing for a last place the
 *      lower id wins;
 *   4. then for agencies: minimise the sum over assigned pairs of agency position * (requests -
 *      request position), so lower-id requests get the lower-id agencies among equals and a
 *      request with two equally good agencies gets the lower id.
 *
 * Positions are in id order (0 = lowest id). Ties that remain after step 4 (rare) are settled by
 * the fixed order the solver works in, so the result is a function of the input alone.
 *
 * Two exact methods reach the same optimum: for a single sitting, successive shortest paths with
 * lexicographic costs (assignment-shortest-paths.ts); for large batches this pipeline:
 *
 *   - maximum cardinality F: Dinic's max flow (or a greedy pass that already places everyone);
 *   - network: request i (supply 1) -> agency j (capacity 1) -> sink (capacity = free places), and
 *     request i -> "unassigned" U (capacity 1) -> sink (capacity = requests - F). U's capacity
 *     forces F assigned without a big-M cost, which keeps integers small enough to stay exact;
 *   - one cost-scaling min-cost flow per objective 2-4. After each, the exact optimal potentials
 *     give the optimal face by complementary slackness: arcs of negative reduced cost are full in
 *     every optimum, arcs of positive reduced cost empty, the rest free. The next objective is
 *     solved on that face only, and skipped when the face holds a single flow.
 */

/** Up to this many requests, one shortest-path search per request beats the scaling passes. */
const SHORTEST_PATHS_UP_TO = 128;

/** Requests and agencies are numbered by position in id order (the tie-break order). */
export interface AssignmentProblem {
  requestCount: number;
  agencyCount: number;
  /** Free places per agency (negative counts as 0). */
  capacity: Int32Array;
  /** Candidate pairs: request position, agency position, integer score (>= 0; higher is better). */
  pairRequest: Int32Array;
  pairAgency: Int32Array;
  pairScore: Float64Array;
}

export interface Assignment {
  /** Agency position per request, or -1 when unassigned. */
  agencyOf: Int32Array;
  /** Number of requests assigned (the maximum possible). */
  assigned: number;
  /** Sum of the assigned pairs' integer scores (the maximum among maximum-cardinality proposals). */
  totalScore: number;
}

/** Which exact method; `auto` picks shortest paths for small batches, cost scaling otherwise. */
export type AssignmentMethod = 'auto' | 'cost-scaling' | 'shortest-paths';

/** Solves the batch exactly; see the header for the objective and the tie-break. */
export function solveAssignment(problem: AssignmentProblem, method: AssignmentMethod = 'auto'): Assignment {
  const { requestCount: n, agencyCount: m, pairRequest, pairAgency, pairScore } = problem;
  if (method === 'shortest-paths' || (method === 'auto' && n <= SHORTEST_PATHS_UP_TO)) {
    return solveByShortestPaths(problem);
  }
  const pairs = pairRequest.length;
  const degree = new Int32Array(m);
  const hasPair = new Uint8Array(n);
  for (let k = 0; k < pairs; k++) {
    const i = pairRequest[k]!;
    const j = pairAgency[k]!;
    const s = pairScore[k]!;
    if (i < 0 || i >= n || j < 0 || j >= m) throw new RangeError(`pair ${k} is out of range`);
    if (Math.floor(s) !== s || s < 0) throw new RangeError(`score of pair ${k} must be an integer >= 0`);
    degree[j]!++;
    hasPair[i] = 1;
  }
  const capacity = new Int32Array(m);
  for (let j = 0; j < m; j++) capacity[j] = Math.max(0, Math.min(problem.capacity[j] ?? 0, degree[j]!));
  let active = 0;
  for (let i = 0; i < n; i++) active += hasPair[i]!;

  // Nodes: requests 0..n-1, agencies n..n+m-1, U = n+m, sink = n+m+1.
  const U = n + m;
  const sink = n + m + 1;
  const arcCount = pairs + n + m + 1;
  const tail = new Int32Array(arcCount);
  const head = new Int32Array(arcCount);
  const cap = new Int32Array(arcCount);
  const cost = new Float64Array(arcCount);
  for (let k = 0; k < pairs; k++) {
    tail[k] = pairRequest[k]!;
    head[k] = n + pairAgency[k]!;
    cap[k] = 1;
    cost[k] = -pairScore[k]!;
  }
  for (let i = 0; i < n; i++) {
    tail[pairs + i] = i;
    head[pairs + i] = U;
    cap[pairs + i] = hasPair[i]!; // a request without candidates stays out of the network
  }
  for (let j = 0; j < m; j++) {
    tail[pairs + n + j] = n + j;
    head[pairs + n + j] = sink;
    cap[pairs + n + j] = capacity[j]!;
  }
  const uArc = pairs + n + m;
  tail[uArc] = U;
  head[uArc] = sink;

  // 1. Maximum cardinality.
  cap[uArc] = active - maximumAssignable(problem, capacity, hasPair, active);

  // 2 and 3. One min-cost flow per objective, each on the optimal face of the one before.
  const supply = new Int32Array(n + m + 2);
  for (let i = 0; i < n; i++) supply[i] = hasPair[i]!;
  supply[sink] = -active;
  // The network is bipartite ({requests, sink} vs {agencies, U}): a simple cycle alternates sides.
  const cycleBound = 2 * Math.min(m + 1, n + 1);
  const phases = [cost, new Float64Array(arcCount), new Float64Array(arcCount)];
  for (let i = 0; i < n; i++) phases[1]![pairs + i] = n - i; // leaving request i out
  for (let k = 0; k < pairs; k++) phases[2]![k] = pairAgency[k]! * (n - pairRequest[k]!);
  const fixed = new Int32Array(arcCount);
  let arcs = new Int32Array(arcCount);
  for (let k = 0; k < arcCount; k++) arcs[k] = k;
  let supplyNow = supply;
  let flowNow: Int32Array | null = null;
  for (let phase = 0; phase < phases.length; phase++) {
    // The first objective runs on the whole network: no copies.
    const whole = arcs.length === arcCount;
    const net: FlowProblem = {
      nodeCount: n + m + 2,
      supply: supplyNow,
      tail: whole ? tail : pick(tail, arcs),
      head: whole ? head : pick(head, arcs),
      capacity: whole ? cap : pick(cap, arcs),
      cost: whole ? phases[phase]! : pick(phases[phase]!, arcs),
      cycleBound,
    };
    // A face holding a single flow (no residual cycle) leaves nothing for later objectives.
    if (flowNow !== null && !faceHasChoice(net, flowNow, sink)) break;
    const solved = solveMinCostFlow(net);
    if (solved.kind !== 'optimal') throw new Error('assignment network unexpectedly infeasible');
    flowNow = solved.flow;
    if (phase === phases.length - 1) break;
    // The optimal face: by complementary slackness with the exact potentials, arcs of negative
    // reduced cost are full in every optimum, arcs of positive reduced cost empty, the rest free.
    const pi = solved.potential;
    const nextSupply = Int32Array.from(supplyNow);
    const keep: number[] = [];
    for (let x = 0; x < arcs.length; x++) {
      const u = net.tail[x]!;
      const v = net.head[x]!;
      const rc = net.cost[x]! + pi[u]! - pi[v]!;
      if (rc < 0) {
        fixed[arcs[x]!] = net.capacity[x]!;
        nextSupply[u]! -= net.capacity[x]!;
        nextSupply[v]! += net.capacity[x]!;
      } else if (rc === 0 && net.capacity[x]! > 0) {
        keep.push(x);
      }
    }
    flowNow = Int32Array.from(keep, (x) => flowNow![x]!);
    arcs = Int32Array.from(keep, (x) => arcs[x]!);
    supplyNow = nextSupply;
  }
  for (let x = 0; x < arcs.length; x++) fixed[arcs[x]!] = flowNow![x]!;

  const agencyOf = new Int32Array(n).fill(-1);
  let assigned = 0;
  let totalScore = 0;
  for (let k = 0; k < pairs; k++) {
    if (fixed[k]! > 0) {
      agencyOf[pairRequest[k]!] = pairAgency[k]!;
      assigned++;
      totalScore += pairScore[k]!;
    }
  }
  return { agencyOf, assigned, totalScore };
}

/** values[at[x]] for each x. */
function pick(values: Int32Array, at: Int32Array): Int32Array;
function pick(values: Float64Array, at: Int32Array): Float64Array;
function pick(values: Int32Array | Float64Array, at: Int32Array): Int32Array | Float64Array {
  const out = values instanceof Int32Array ? new Int32Array(at.length) : new Float64Array(at.length);
  for (let x = 0; x < at.length; x++) out[x] = values[at[x]!]!;
  return out;
}

/**
 * The most requests that can be assigned at once. A greedy pass often places every request that has
 * a candidate (small sittings) or fills every place (scarce capacity): that is then the maximum.
 * Otherwise Dinic's max flow on source -> request -> agency -> sink, from the greedy flow.
 */
function maximumAssignable(
  problem: AssignmentProblem,
  capacity: Int32Array,
  hasPair: Uint8Array,
  active: number,
): number {
  const { requestCount: n, agencyCount: m, pairRequest, pairAgency } = problem;
  const pairs = pairRequest.length;
  const left = Int32Array.from(capacity);
  const placed = new Int32Array(n).fill(-1);
  let greedy = 0;
  for (let k = 0; k < pairs; k++) {
    const i = pairRequest[k]!;
    const j = pairAgency[k]!;
    if (placed[i] === -1 && left[j]! > 0) {
      placed[i] = k;
      left[j]!--;
      greedy++;
    }
  }
  let places = 0;
  for (let j = 0; j < m; j++) places += capacity[j]!;
  // Everyone placed, or every place filled: nothing can beat that.
  if (greedy === active || greedy === places) return greedy;
  // Nodes: requests 0..n-1, agencies n..n+m-1, source n+m, sink n+m+1. Dinic starts from the
  // greedy flow and only augments the rest.
  const arcs = pairs + n + m;
  const tail = new Int32Array(arcs);
  const head = new Int32Array(arcs);
  const cap = new Int32Array(arcs);
  const start = new Int32Array(arcs);
  for (let k = 0; k < pairs; k++) {
    tail[k] = pairRequest[k]!;
    head[k] = n + pairAgency[k]!;
    cap[k] = 1;
  }
  for (let i = 0; i < n; i++) {
    tail[pairs + i] = n + m;
    head[pairs + i] = i;
    cap[pairs + i] = hasPair[i]!;
    if (placed[i]! >= 0) {
      start[placed[i]!] = 1;
      start[pairs + i] = 1;
    }
  }
  for (let j = 0; j < m; j++) {
    tail[pairs + n + j] = n + j;
    head[pairs + n + j] = n + m + 1;
    cap[pairs + n + j] = capacity[j]!;
    start[pairs + n + j] = capacity[j]! - left[j]!;
  }
  return solveMaxFlow({ nodeCount: n + m + 2, tail, head, capacity: cap }, n + m, n + m + 1, start).value;
}

/**
 * Whether the optimal face holds more than one flow, i.e. the residual graph of `flow` on `face` has
 * a cycle that is not an arc and its own reverse. Every face arc not touching the sink has capacity
 * at most 1, so it is residual in one direction only; arcs into the sink may be residual both ways.
 * So a real cycle either avoids the sink (a directed cycle of the rest), or enters the sink from one
 * node (arc with spare capacity) and leaves it to a different node (arc carrying flow) that reaches
 * the first without the sink.
 */
function faceHasChoice(face: FlowProblem, flow: Int32Array, sink: number): boolean {
  const n = face.nodeCount;
  const arcs = face.tail.length;
  const first = new Int32Array(n + 1);
  const into = new Uint8Array(n); // v -> sink has spare capacity
  const outOf = new Uint8Array(n); // sink -> v is residual (v -> sink carries flow)
  for (let k = 0; k < arcs; k++) {
    const u = face.tail[k]!;
    const v = face.head[k]!;
    if (v === sink) {
      if (flow[k]! < face.capacity[k]!) into[u] = 1;
      if (flow[k]! > 0) outOf[u] = 1;
    } else {
      first[(flow[k]! > 0 ? v : u) + 1]!++;
    }
  }
  for (let v = 0; v < n; v++) first[v + 1]! += first[v]!;
  const pos = first.slice(0, n);
  const to = new Int32Array(first[n]!);
  for (let k = 0; k < arcs; k++) {
    const u = face.tail[k]!;
    const v = face.head[k]!;
    if (v === sink) continue;
    if (flow[k]! > 0) to[pos[v]!++] = u;
    else to[pos[u]!++] = v;
  }
  // Directed cycle avoiding the sink: iterative three-colour depth-first search.
  const colour = new Uint8Array(n); // 0 new, 1 on the stack, 2 finished
  const stack = new Int32Array(n);
  const next = first.slice(0, n);
  for (let root = 0; root < n; root++) {
    if (colour[root] !== 0) continue;
    let depth = 0;
    stack[depth++] = root;
    colour[root] = 1;
    while (depth > 0) {
      const v = stack[depth - 1]!;
      if (next[v]! < first[v + 1]!) {
        const w = to[next[v]!++]!;
        if (colour[w] === 1) return true;
        if (colour[w] === 0) {
          colour[w] = 1;
          stack[depth++] = w;
        }
      } else {
        colour[v] = 2;
        depth--;
      }
    }
  }
  // Through the sink: search from every node the sink can go to, remembering up to two distinct
  // origins per node, and look for a node with spare capacity into the sink reached from another.
  const origin1 = new Int32Array(n).fill(-1);
  const origin2 = new Int32Array(n).fill(-1);
  const queue = new Int32Array(2 * n);
  const queuedOrigin = new Int32Array(2 * n);
  let qh = 0;
  let qt = 0;
  for (let v = 0; v < n; v++) {
    if (outOf[v] === 1) {
      origin1[v] = v;
      queue[qt] = v;
      queuedOrigin[qt++] = v;
    }
  }
  while (qh < qt) {
    const v = queue[qh]!;
    const o = queuedOrigin[qh++]!;
    for (let a = first[v]!, end = first[v + 1]!; a < end; a++) {
      const w = to[a]!;
      if (origin1[w] === o || origin2[w] === o) continue;
      if (origin1[w] === -1) origin1[w] = o;
      else if (origin2[w] === -1) origin2[w] = o;
      else continue;
      if (into[w] === 1 && o !== w) return true;
      queue[qt] = w;
      queuedOrigin[qt++] = o;
    }
  }
  for (let v = 0; v < n; v++) {
    if (into[v] === 1 && ((origin1[v]! >= 0 && origin1[v] !== v) || origin2[v]! >= 0)) return true;
  }
  return false;
}
