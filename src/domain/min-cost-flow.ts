import { type ArcList, buildResidual, pushFlow, type ResidualNetwork } from './residual-network.ts';

/*
 * Exact minimum-cost flow by cost scaling (Goldberg's push-relabel "refine", as in CS2), on typed
 * arrays. Pure: numbers in, numbers out.
 *
 * Why cost scaling: the allocation batch is a transportation problem with ~10^4 requests, ~10^2
 * agencies and ~10^6 candidate pairs; successive shortest paths would need one search per request.
 * Cost scaling does O(log C) refines, each a FIFO push-relabel pass helped by global price updates.
 *
 * Exactness: costs are integers. They are multiplied by K = cycleBound + 1, where cycleBound is the
 * most arcs a simple cycle of the residual graph can have (the node count in general; far fewer in
 * a bipartite network). The last refine runs at eps = 1, so every residual cycle costs at least
 * -cycleBound > -K in scaled units, i.e. at least 0 in the original integer units: there is no
 * negative cycle and the flow is optimal. All arithmetic stays on integers below 2^53, where doubles
 * are exact; the solver refuses an instance that could leave that range rather than answer roughly.
 */

/** A network with integer costs (any sign) and node supplies. */
export interface FlowProblem extends ArcList {
  /** Per node: positive = supply, negative = demand. Must sum to 0. */
  supply: Int32Array;
  /** Integer cost per unit of flow on each arc. */
  cost: Float64Array;
  /**
   * Upper bound on the number of arcs in any simple cycle of the residual graph. Defaults to the
   * node count; a smaller true bound (e.g. for bipartite networks) keeps the numbers smaller.
   */
  cycleBound?: number;
}

export type FlowSolution =
  | {
      kind: 'optimal';
      /** Flow on each input arc. */
      flow: Int32Array;
      /**
       * Exact optimal node potentials in the original cost units: an arc with spare capacity has
       * `cost + potential[tail] - potential[head] >= 0`, an arc carrying flow has it `<= 0`.
       */
      potential: Float64Array;
      /** Total cost, exact. */
      cost: number;
    }
  | { kind: 'infeasible' };

/** Scaling factor between refines. */
const ALPHA = 4;
/**
 * A global price update at the start of each refine, and again after this many relabels per node.
 * Measured on 10,000 x 200 batches: an update costs a pass over the whole graph, more than the
 * relabels it saves when done more often.
 */
const UPDATE_FREQUENCY = 4;
/** Arcs remembered per node for quick relabels. */
const QUICK = 8;
const SAFE = 2 ** 53;

/**
 * Solves min-cost flow exactly. Returns `infeasible` when the supplies cannot be routed.
 * Throws a RangeError for malformed input or costs too large for exact double arithmetic.
 */
export function solveMinCostFlow(problem: FlowProblem): FlowSolution {
  const n = problem.nodeCount;
  const m = problem.tail.length;
  let total = 0;
  for (let v = 0; v < n; v++) total += problem.supply[v]!;
  if (total !== 0) throw new RangeError('supplies must sum to zero');
  let maxCost = 0;
  for (let k = 0; k < m; k++) {
    const c = problem.cost[k]!;
    if (!Number.isInteger(c)) throw new RangeError(`cost of arc ${k} is not an integer`);
    maxCost = Math.max(maxCost, Math.abs(c));
  }
  const K = Math.max(1, Math.min(problem.cycleBound ?? n, n)) + 1;
  const scaledMax = maxCost * K;
  // Prices fall by at most about (ALPHA + 2) * n * eps per refine, over a geometric series of eps.
  if (scaledMax * (ALPHA + 2) * (n + 2) * 2 >= SAFE) {
    throw new RangeError('costs too large for exact arithmetic: reduce the cost range or the network');
  }
  const net = buildResidual(problem, problem.cost, K);
  const excess = Int32Array.from(problem.supply);
  const price = new Float64Array(n);
  // A node with no incoming arcs starts priced so that none of its arcs is negative: saves the
  // first refine from saturating every arc of every source (e.g. each request to every agency).
  for (let v = 0; v < n; v++) {
    if (net.mid[v] !== net.first[v + 1]) continue;
    let most = 0;
    for (let a = net.first[v]!; a < net.mid[v]!; a++) most = Math.max(most, -net.cost[a]!);
    price[v] = most;
  }
  const refiner = new Refiner(net, excess, price);
  let eps = scaledMax;
  do {
    eps = Math.max(1, Math.ceil(eps / ALPHA));
    if (!refiner.refine(eps)) return { kind: 'infeasible' };
  } while (eps > 1);
  const flow = new Int32Array(m);
  let cost = 0;
  for (let k = 0; k < m; k++) {
    const a = net.arcOf[k]!;
    flow[k] = net.pair[a]! - net.res[a]!;
    cost += flow[k]! * problem.cost[k]!;
  }
  return { kind: 'optimal', flow, potential: exactPotentials(net, price, K), cost };
}

/** The push-relabel state shared by the refines of one solve. */
class Refiner {
  private readonly queue: Int32Array;
  private readonly inQueue: Uint8Array;
  private readonly current: Int32Array;
  private readonly start: Float64Array;
  // Price update: Dial's buckets on integer ranks, as doubly linked lists.
  readonly rank: Float64Array;
  readonly bucketHead: Int32Array;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  private readonly done: Uint8Array;
  // Quick relabel (Goldberg & Kennedy's "quick-min"), for nodes without incoming arcs: the
  // QUICK best arcs by value price[head] - cost at the last full scan, and the next value as a
  // bound on every other arc. Prices only ever fall, so values only fall: the bound stays valid.
  private readonly quick: Uint8Array;
  private readonly cacheArc: Int32Array;
  private readonly cacheBound: Float64Array;
  private readonly topValue = new Float64Array(QUICK);
  /** The value of the arc bestArc returned last. */
  private bestValue = 0;
  private relabels = 0;
  private updateAfter = 0;

  constructor(
    private readonly g: ResidualNetwork,
    private readonly excess: Int32Array,
    private readonly price: Float64Array,
  ) {
    const n = g.n;
    this.queue = new Int32Array(n);
    this.inQueue = new Uint8Array(n);
    this.current = new Int32Array(n);
    this.start = new Float64Array(n);
    this.rank = new Float64Array(n);
    this.bucketHead = new Int32Array((ALPHA + 3) * (n + 2)).fill(-1);
    this.next = new Int32Array(n);
    this.prev = new Int32Array(n);
    this.done = new Uint8Array(n);
    this.quick = new Uint8Array(n);
    for (let v = 0; v < n; v++)
      if (g.mid[v] === g.first[v + 1] && g.mid[v]! - g.first[v]! > QUICK) this.quick[v] = 1;
    this.cacheArc = new Int32Array(n * QUICK).fill(-1);
    this.cacheBound = new Float64Array(n).fill(Number.NaN);
  }

  /**
   * Sets v's price just below the value bestArc found (making that arc admissible), and runs a
   * global price update every `updateAfter` relabels. False when v's price fell further than any
   * feasible network allows: the supplies cannot be routed.
   */
  private relabel(v: number, eps: number, limit: number): boolean {
    const { price } = this;
    price[v] = this.bestValue - eps;
    if (this.start[v]! - price[v]! > limit) return false;
    if (++this.relabels >= this.updateAfter) {
      this.relabels = 0;
      this.priceUpdate(eps);
      const { first, n } = this.g;
      for (let u = 0; u < n; u++) this.current[u] = first[u]!;
    }
    return true;
  }

  /**
   * The residual arc of v (arcs up to `end`) with the highest price[head] - cost, or -1; its value
   * goes to bestValue. Nodes without incoming arcs use their cache when it proves the answer.
   */
  private bestArc(v: number, end: number): number {
    const { first, head, res, cost } = this.g;
    const { price } = this;
    let best = Number.NEGATIVE_INFINITY;
    let arc = -1;
    if (this.quick[v] === 0) {
      for (let b = first[v]!; b < end; b++) {
        if (res[b]! > 0) {
          const value = price[head[b]!]! - cost[b]!;
          if (value > best) {
            best = value;
            arc = b;
          }
        }
      }
      this.bestValue = best;
      return arc;
    }
    const { cacheArc, topValue } = this;
    const base = v * QUICK;
    const bound = this.cacheBound[v]!;
    if (!Number.isNaN(bound)) {
      for (let c = 0; c < QUICK; c++) {
        const b = cacheArc[base + c]!;
        if (b >= 0 && res[b]! > 0) {
          const value = price[head[b]!]! - cost[b]!;
          if (value > best) {
            best = value;
            arc = b;
          }
        }
      }
      if (arc >= 0 && best >= bound) {
        this.bestValue = best;
        return arc;
      }
    }
    // Full scan: keep the QUICK best arcs (residual or not: one may become residual again) and the
    // best value left out as the bound; answer with the best residual arc.
    let kept = 0;
    let left = Number.NEGATIVE_INFINITY;
    best = Number.NEGATIVE_INFINITY;
    arc = -1;
    for (let b = first[v]!; b < end; b++) {
      const value = price[head[b]!]! - cost[b]!;
      if (res[b]! > 0 && value > best) {
        best = value;
        arc = b;
      }
      if (kept === QUICK && value <= topValue[QUICK - 1]!) {
        if (value > left) left = value;
        continue;
      }
      if (kept === QUICK) {
        if (topValue[QUICK - 1]! > left) left = topValue[QUICK - 1]!;
        kept--;
      }
      let at = kept++;
      while (at > 0 && topValue[at - 1]! < value) {
        topValue[at] = topValue[at - 1]!;
        cacheArc[base + at] = cacheArc[base + at - 1]!;
        at--;
      }
      topValue[at] = value;
      cacheArc[base + at] = b;
    }
    this.cacheBound[v] = left;
    this.bestValue = best;
    return arc;
  }

  /** Turns an (eps * ALPHA)-optimal flow into an eps-optimal one. False if infeasible. */
  refine(eps: number): boolean {
    const { g, excess, price, queue, inQueue, current, start } = this;
    const { n, first, liveEnd, head, res, cost } = g;
    // Saturate every arc with negative reduced cost: the pseudoflow becomes 0-optimal.
    for (let v = 0; v < n; v++) {
      const pv = price[v]!;
      let a = first[v]!;
      while (a < liveEnd[v]!) {
        const r = res[a]!;
        if (r > 0 && cost[a]! + pv - price[head[a]!]! < 0) {
          excess[v]! -= r;
          excess[head[a]!]! += r;
          const wasLive = a >= g.mid[v]!;
          pushFlow(g, v, a, r);
          if (wasLive) continue; // another live arc moved into position a
        }
        a++;
      }
    }
    start.set(price);
    const limit = (ALPHA + 2) * (n + 1) * eps;
    this.priceUpdate(eps);
    let qHead = 0;
    let qSize = 0;
    for (let v = 0; v < n; v++) {
      current[v] = first[v]!;
      inQueue[v] = 0;
      if (excess[v]! > 0) {
        queue[(qHead + qSize++) % n] = v;
        inQueue[v] = 1;
      }
    }
    this.updateAfter = Math.max(16, Math.floor(UPDATE_FREQUENCY * n));
    this.relabels = 0;
    while (qSize > 0) {
      const v = queue[qHead]!;
      qHead = (qHead + 1) % n;
      qSize--;
      inQueue[v] = 0;
      const quick = this.quick[v] === 1;
      while (excess[v]! > 0) {
        const end = liveEnd[v]!;
        let a = current[v]!;
        if (quick) {
          // Bid on the best arc: admissible as it is when its value beats the node's price, else
          // after relabelling to it. No scan of the node's other arcs.
          a = this.bestArc(v, end);
          if (a < 0) return false;
          if (!(this.bestValue > price[v]!) && !this.relabel(v, eps, limit)) return false;
        } else {
          const pv = price[v]!;
          for (; a < end; a++) {
            if (res[a]! > 0 && cost[a]! + pv - price[head[a]!]! < 0) break;
          }
          if (a === end) {
            // Relabel to the highest price at which some residual arc becomes admissible. That arc
            // is admissible now, so discharge resumes there (skipping an earlier admissible arc is
            // harmless: a later relabel keeps eps-optimality).
            a = this.bestArc(v, end);
            if (a < 0 || !this.relabel(v, eps, limit)) return false;
          }
          current[v] = a;
        }
        const w = head[a]!;
        const delta = Math.min(excess[v]!, res[a]!);
        excess[v]! -= delta;
        const before = excess[w]!;
        excess[w] = before + delta;
        pushFlow(g, v, a, delta);
        if (before <= 0 && before + delta > 0 && inQueue[w] === 0) {
          queue[(qHead + qSize++) % n] = w;
          inQueue[w] = 1;
        }
      }
    }
    return true;
  }

  /**
   * Global price update (Goldberg's set-relabel): lowers each node's price by eps times its
   * distance to a deficit, an arc of reduced cost rc counting floor(rc / eps) + 1 steps. Keeps
   * eps-optimality and gives every excess an admissible path to a deficit.
   */
  private priceUpdate(eps: number): void {
    const { n, first, head, res, cost, pair } = this.g;
    const { excess, price, rank, bucketHead, done } = this;
    const maxRank = bucketHead.length - 1;
    const UNSEEN = Number.POSITIVE_INFINITY;
    let pendingExcess = 0;
    rank.fill(UNSEEN);
    done.fill(0);
    for (let v = 0; v < n; v++) {
      if (excess[v]! < 0) insertRank(this, v, 0);
      else if (excess[v]! > 0) pendingExcess++;
    }
    let level = 0;
    while (pendingExcess > 0) {
      while (level <= maxRank && bucketHead[level]! < 0) level++;
      if (level > maxRank) break;
      const w = bucketHead[level]!;
      removeRank(this, w, level);
      done[w] = 1;
      if (excess[w]! > 0) pendingExcess--;
      const pw = price[w]!;
      for (let a = first[w]!, end = first[w + 1]!; a < end; a++) {
        // The arc v -> w is a's partner: residual pair[a] - res[a], cost -cost[a].
        if (pair[a]! - res[a]! <= 0) continue;
        const v = head[a]!;
        const old = rank[v]!;
        if (old <= level) continue; // scanned, or already as close as it can get
        const r = level + Math.floor((price[v]! - cost[a]! - pw) / eps) + 1;
        if (r < old && r <= maxRank) {
          if (old !== UNSEEN) removeRank(this, v, old);
          insertRank(this, v, r);
        }
      }
    }
    // Empty the buckets for the next update.
    for (let v = 0; v < n; v++) if (done[v] === 0 && rank[v]! !== UNSEEN) removeRank(this, v, rank[v]!);
    // Some excess is beyond the rank budget: leave prices alone, relabels will do.
    if (pendingExcess > 0) return;
    // Scanned nodes drop by their exact rank, all others by the last level scanned. An arc between
    // scanned nodes keeps eps-optimality by the shortest-path inequality; an arc into an unscanned
    // node only gains; an arc from an unscanned v into a scanned w has level <= tentative(v) <=
    // rank(w) + steps(v, w), the same inequality.
    for (let v = 0; v < n; v++) {
      const r = done[v] === 1 ? rank[v]! : level;
      if (r > 0) price[v]! -= r * eps;
    }
  }
}

interface Buckets {
  rank: Float64Array;
  bucketHead: Int32Array;
  next: Int32Array;
  prev: Int32Array;
}

function insertRank(b: Buckets, v: number, r: number): void {
  b.rank[v] = r;
  const h = b.bucketHead[r]!;
  b.next[v] = h;
  b.prev[v] = -1;
  if (h >= 0) b.prev[h] = v;
  b.bucketHead[r] = v;
}

function removeRank(b: Buckets, v: number, r: number): void {
  const pv = b.prev[v]!;
  const nv = b.next[v]!;
  if (pv >= 0) b.next[pv] = nv;
  else b.bucketHead[r] = nv;
  if (nv >= 0) b.prev[nv] = pv;
}

/**
 * Exact integer potentials for the optimal flow: label-correcting shortest paths on the residual
 * graph in original units, started from the scaled prices (each within a unit of a valid potential),
 * so it settles in a few passes.
 */
function exactPotentials(g: ResidualNetwork, price: Float64Array, K: number): Float64Array {
  const { n, first, liveEnd, head, res, cost } = g;
  const pi = new Float64Array(n);
  for (let v = 0; v < n; v++) pi[v] = Math.floor(price[v]! / K);
  const queue = new Int32Array(n);
  const inQueue = new Uint8Array(n).fill(1);
  for (let v = 0; v < n; v++) queue[v] = v;
  let qHead = 0;
  let qSize = n;
  let relaxations = 0;
  const cap = n * (first[n]! + 1);
  while (qSize > 0) {
    const v = queue[qHead]!;
    qHead = (qHead + 1) % n;
    qSize--;
    inQueue[v] = 0;
    const pv = pi[v]!;
    for (let a = first[v]!, end = liveEnd[v]!; a < end; a++) {
      if (res[a]! <= 0) continue;
      const w = head[a]!;
      const candidate = pv + cost[a]! / K;
      if (candidate < pi[w]!) {
        pi[w] = candidate;
        if (++relaxations > cap) throw new Error('negative cycle in an optimal residual graph');
        if (inQueue[w] === 0) {
          queue[(qHead + qSize++) % n] = w;
          inQueue[w] = 1;
        }
      }
    }
  }
  return pi;
}
