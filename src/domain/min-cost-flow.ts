import { exactPotentials, PriceUpdate } from './flow-prices.ts';
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
  private readonly prices: PriceUpdate;
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
    this.prices = new PriceUpdate(n, (ALPHA + 3) * (n + 2));
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

  /** The global price update (flow-prices.ts) on this solve's state. */
  private priceUpdate(eps: number): void {
    this.prices.run(this.g, this.excess, this.price, eps);
  }
}
