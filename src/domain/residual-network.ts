/*
 * The residual graph shared by the flow solvers, in compressed sparse row form on typed arrays.
 *
 * Every input arc u -> v gives a forward arc in u's block and a reverse arc in v's block. Each
 * node's block is laid out as
 *
 *   [first, mid)      its forward arcs (the input arcs leaving it), in input order;
 *   [mid, liveEnd)    the reverse arcs that currently have residual capacity (their forward arc
 *                     carries flow), packed;
 *   [liveEnd, next)   the other reverse arcs (residual 0).
 *
 * Why: in a transportation network an agency has thousands of incoming candidate arcs but only its
 * few assigned requests are residual out of it. Keeping those packed lets a relabel scan a handful
 * of arcs instead of thousands. Arcs move only inside a reverse segment, by swapping, and `rev` is
 * kept pointing at the partner.
 */

/** The input of every flow solver: a network in arc-list form. */
export interface ArcList {
  nodeCount: number;
  tail: Int32Array;
  head: Int32Array;
  /** Non-negative integer capacities. */
  capacity: Int32Array;
}

export interface ResidualNetwork {
  n: number;
  first: Int32Array;
  mid: Int32Array;
  liveEnd: Int32Array;
  head: Int32Array;
  rev: Int32Array;
  res: Int32Array;
  /** Per arc; the reverse of arc a costs -cost[a]. */
  cost: Float64Array;
  /** Capacity of the arc's pair: res[a] + res[rev[a]] = pair[a] always, so a reverse arc's residual
   * can be read from the arc's own block (sequential memory) instead of a cache miss. */
  pair: Int32Array;
  /** Index of the forward arc of each input arc (forward arcs never move). */
  arcOf: Int32Array;
}

/** Builds the residual network with zero flow; `cost` (optional) is multiplied by `scale`. */
export function buildResidual(p: ArcList, cost: Float64Array | null, scale: number): ResidualNetwork {
  const n = p.nodeCount;
  const m = p.tail.length;
  const first = new Int32Array(n + 1);
  const outDegree = new Int32Array(n);
  for (let k = 0; k < m; k++) {
    const u = p.tail[k]!;
    const v = p.head[k]!;
    if (u === v) throw new RangeError(`arc ${k} is a loop`);
    if (u < 0 || u >= n || v < 0 || v >= n) throw new RangeError(`arc ${k} has an unknown node`);
    if (!(p.capacity[k]! >= 0)) throw new RangeError(`capacity of arc ${k} is negative`);
    first[u + 1]!++;
    first[v + 1]!++;
    outDegree[u]!++;
  }
  for (let v = 0; v < n; v++) first[v + 1]! += first[v]!;
  const mid = new Int32Array(n);
  for (let v = 0; v < n; v++) mid[v] = first[v]! + outDegree[v]!;
  const liveEnd = mid.slice();
  const outPos = first.slice(0, n);
  const inPos = mid.slice();
  const head = new Int32Array(2 * m);
  const rev = new Int32Array(2 * m);
  const res = new Int32Array(2 * m);
  const arcCost = new Float64Array(2 * m);
  const pair = new Int32Array(2 * m);
  const arcOf = new Int32Array(m);
  for (let k = 0; k < m; k++) {
    const u = p.tail[k]!;
    const v = p.head[k]!;
    const a = outPos[u]!++;
    const b = inPos[v]!++;
    head[a] = v;
    head[b] = u;
    rev[a] = b;
    rev[b] = a;
    res[a] = p.capacity[k]!;
    pair[a] = p.capacity[k]!;
    pair[b] = p.capacity[k]!;
    if (cost !== null) {
      arcCost[a] = cost[k]! * scale;
      arcCost[b] = -cost[k]! * scale;
    }
    arcOf[k] = a;
  }
  return { n, first, mid, liveEnd, head, rev, res, cost: arcCost, pair, arcOf };
}

/** Swaps two arcs of the same reverse segment, keeping their partners' `rev` right. */
function swapArcs(g: ResidualNetwork, x: number, y: number): void {
  if (x === y) return;
  const { head, rev, res, cost, pair } = g;
  const px = rev[x]!;
  const py = rev[y]!;
  let t = head[x]!;
  head[x] = head[y]!;
  head[y] = t;
  t = res[x]!;
  res[x] = res[y]!;
  res[y] = t;
  t = pair[x]!;
  pair[x] = pair[y]!;
  pair[y] = t;
  const c = cost[x]!;
  cost[x] = cost[y]!;
  cost[y] = c;
  rev[x] = py;
  rev[y] = px;
  rev[px] = y;
  rev[py] = x;
}

/**
 * Moves `delta` units along arc `a` out of node `v`, keeping the live segments packed. If `a` is a
 * reverse arc that becomes empty, the last live arc of `v` takes its place: a caller scanning `v`'s
 * arcs must look at position `a` again.
 */
export function pushFlow(g: ResidualNetwork, v: number, a: number, delta: number): void {
  const { res, rev, mid, liveEnd, head } = g;
  const b = rev[a]!;
  const w = head[a]!;
  res[a]! -= delta;
  const before = res[b]!;
  res[b] = before + delta;
  if (a >= mid[v]!) {
    if (res[a] === 0) swapArcs(g, a, --liveEnd[v]!);
  } else if (before === 0) {
    // b is a reverse arc of w that just became residual: pack it into w's live segment.
    swapArcs(g, b, liveEnd[w]!++);
  }
}
