import type { Mulberry32 } from '../random/mulberry32.js';
import { edgeKey, isConnected, type EdgeList } from './edge-list.js';

/** Switch attempts allowed per edge before a draw is abandoned and a fresh one is tried. */
const SWITCH_ATTEMPTS_PER_EDGE = 200;

/**
 * Random simple graph in which every vertex has `degree` edges, except one vertex with degree - 1 when
 * n * degree is odd. With `backbone`, the edges start from a random Hamiltonian cycle (so the graph is connected
 * by construction) and the remaining degree - 2 stubs are matched at random; otherwise all stubs are matched at
 * random. Self-loops and repeated pairs from the matching are removed by degree-preserving edge switches with
 * other random (non-backbone) edges. Returns null when this draw could not be repaired (caller redraws).
 */
export function randomNearRegularGraph(
  n: number,
  degree: number,
  rng: Mulberry32,
  backbone: boolean,
): EdgeList | null {
  const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
  const target = new Int32Array(n).fill(degree);
  if ((n * degree) % 2 === 1) target[order[n - 1]] = degree - 1;

  const present = new Set<number>();
  const fixed: EdgeList = { u: [], v: [] };
  if (backbone) {
    for (let t = 0; t < n; t++) {
      const a = order[t];
      const b = order[(t + 1) % n];
      fixed.u.push(a);
      fixed.v.push(b);
      present.add(edgeKey(a, b, n));
      target[a]--;
      target[b]--;
    }
  }
  const stubs: number[] = [];
  for (let i = 0; i < n; i++) for (let s = 0; s < target[i]; s++) stubs.push(i);
  rng.shuffle(stubs);

  const free: EdgeList = { u: [], v: [] };
  const bad: Array<[number, number]> = [];
  for (let s = 0; s + 1 < stubs.length; s += 2) {
    const a = stubs[s];
    const b = stubs[s + 1];
    const key = edgeKey(a, b, n);
    if (a === b || present.has(key)) {
      bad.push([a, b]);
    } else {
      present.add(key);
      free.u.push(a);
      free.v.push(b);
    }
  }
  let attempts = SWITCH_ATTEMPTS_PER_EDGE * (bad.length + 1);
  while (bad.length > 0) {
    if (attempts-- <= 0 || free.u.length === 0) return null;
    const [a, b] = bad[bad.length - 1];
    const f = rng.nextInt(free.u.length);
    const flip = rng.nextInt(2) === 1;
    const c = flip ? free.v[f] : free.u[f];
    const d = flip ? free.u[f] : free.v[f];
    // Switch {a,b} + {c,d} -> {a,c} + {b,d}: every vertex keeps its degree.
    if (a === c || b === d) continue;
    const ac = edgeKey(a, c, n);
    const bd = edgeKey(b, d, n);
    if (ac === bd || present.has(ac) || present.has(bd)) continue;
    bad.pop();
    present.delete(edgeKey(c, d, n));
    present.add(ac);
    present.add(bd);
    free.u[f] = a;
    free.v[f] = c;
    free.u.push(b);
    free.v.push(d);
  }
  return { u: [...fixed.u, ...free.u], v: [...fixed.v, ...free.v] };
}

/** A random Hamiltonian path: connected with the fewest comparisons (degrees 1 or 2), used for k = 1. */
export function randomPath(n: number, rng: Mulberry32): EdgeList {
  const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
  const edges: EdgeList = { u: [], v: [] };
  for (let t = 0; t + 1 < n; t++) {
    edges.u.push(order[t]);
    edges.v.push(order[t + 1]);
  }
  return edges;
}

export function completeGraph(n: number): EdgeList {
  const edges: EdgeList = { u: [], v: [] };
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      edges.u.push(a);
      edges.v.push(b);
    }
  }
  return edges;
}

/** All pairs not in `graph`. */
export function complement(n: number, graph: EdgeList): EdgeList {
  const present = new Set<number>();
  for (let e = 0; e < graph.u.length; e++) present.add(edgeKey(graph.u[e], graph.v[e], n));
  const complete = completeGraph(n);
  const edges: EdgeList = { u: [], v: [] };
  for (let e = 0; e < complete.u.length; e++) {
    if (present.has(edgeKey(complete.u[e], complete.v[e], n))) continue;
    edges.u.push(complete.u[e]);
    edges.v.push(complete.v[e]);
  }
  return edges;
}

/**
 * Connected simple graph with degrees within 1 of `degree` (exactly `degree` when n * degree is even), for
 * 1 <= degree < n - 1. Sparse targets grow from a Hamiltonian backbone; dense ones (degree > (n - 1) / 2) are the
 * complement of a sparse random graph, where the stub matching has room, and are checked for connectivity.
 */
export function connectedNearRegularGraph(
  n: number,
  degree: number,
  rng: Mulberry32,
  maxDraws = 100,
): EdgeList | null {
  if (degree === 1) return randomPath(n, rng);
  const dense = degree > (n - 1) / 2;
  for (let draw = 0; draw < maxDraws; draw++) {
    const graph = dense
      ? randomNearRegularGraph(n, n - 1 - degree, rng, false)
      : randomNearRegularGraph(n, degree, rng, true);
    if (!graph) continue;
    const result = dense ? complement(n, graph) : graph;
    if (isConnected(n, result)) return result;
  }
  return null;
}
