import type { ResidualNetwork } from './residual-network.ts';

/*
 * Node prices of the cost-scaling solver (min-cost-flow.ts): the global price update that keeps each
 * refine short, and the exact potentials read off the optimal flow at the end. Pure: typed arrays in,
 * typed arrays out.
 */

/** The global price update, with its buckets kept between updates of one solve. */
export class PriceUpdate {
  // Dial's buckets on integer ranks, as doubly linked lists.
  readonly rank: Float64Array;
  readonly bucketHead: Int32Array;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  private readonly done: Uint8Array;

  /** For `n` nodes; ranks from 0 to `ranks - 1` are tracked, a node beyond is left to relabels. */
  constructor(n: number, ranks: number) {
    this.rank = new Float64Array(n);
    this.bucketHead = new Int32Array(ranks).fill(-1);
    this.next = new Int32Array(n);
    this.prev = new Int32Array(n);
    this.done = new Uint8Array(n);
  }

  /**
   * Global price update (Goldberg's set-relabel): lowers each node's price by eps times its
   * distance to a deficit, an arc of reduced cost rc counting floor(rc / eps) + 1 steps. Keeps
   * eps-optimality and gives every excess an admissible path to a deficit.
   */
  run(g: ResidualNetwork, excess: Int32Array, price: Float64Array, eps: number): void {
    const { n, first, head, res, cost, pair } = g;
    const { rank, bucketHead, done } = this;
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
export function exactPotentials(g: ResidualNetwork, price: Float64Array, K: number): Float64Array {
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
