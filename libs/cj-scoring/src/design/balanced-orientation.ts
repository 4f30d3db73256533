import type { EdgeList } from './edge-list.js';

/**
 * Orients every edge so each vertex is first (A) and second (B) equally often, up to one: join every odd-degree
 * vertex to a virtual vertex (now all degrees are even), then walk closed trails along unused edges and orient
 * each edge the way it was walked. A closed trail enters and leaves each vertex equally often; dropping the
 * virtual edges (at most one per vertex) leaves |#A - #B| <= 1. Returns [a, b] per edge, in the input order.
 */
export function balancedOrientation(n: number, edges: EdgeList): { a: number[]; b: number[] } {
  const realCount = edges.u.length;
  const u = [...edges.u];
  const v = [...edges.v];
  const degree = new Int32Array(n + 1);
  for (let e = 0; e < realCount; e++) {
    degree[u[e]]++;
    degree[v[e]]++;
  }
  for (let i = 0; i < n; i++) {
    if (degree[i] % 2 === 1) {
      u.push(i);
      v.push(n);
      degree[i]++;
      degree[n]++;
    }
  }
  // Adjacency in CSR form: incident edge ids per vertex.
  const start = new Int32Array(n + 2);
  for (let i = 0; i <= n; i++) start[i + 1] = start[i] + degree[i];
  const fill = start.slice(0, n + 1);
  const incident = new Int32Array(2 * u.length);
  for (let e = 0; e < u.length; e++) {
    incident[fill[u[e]]++] = e;
    incident[fill[v[e]]++] = e;
  }
  const next = start.slice(0, n + 1);
  const used = new Uint8Array(u.length);
  const a = new Array<number>(realCount);
  const b = new Array<number>(realCount);
  for (let origin = 0; origin <= n; origin++) {
    let at = origin;
    for (;;) {
      while (next[at] < start[at + 1] && used[incident[next[at]]]) next[at]++;
      if (next[at] === start[at + 1]) {
        if (at === origin) break;
        throw new Error('balancedOrientation: trail stuck away from its origin (odd degree left)');
      }
      const e = incident[next[at]];
      used[e] = 1;
      const to = u[e] === at ? v[e] : u[e];
      if (e < realCount) {
        a[e] = at;
        b[e] = to;
      }
      at = to;
    }
  }
  return { a, b };
}
