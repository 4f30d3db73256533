/** An undirected simple graph as two parallel endpoint lists (u[e], v[e]) over essays 0..n-1. */
export interface EdgeList {
  u: number[];
  v: number[];
}

export function edgeKey(a: number, b: number, n: number): number {
  return a < b ? a * n + b : b * n + a;
}

export function degrees(n: number, edges: EdgeList): Int32Array {
  const degree = new Int32Array(n);
  for (let e = 0; e < edges.u.length; e++) {
    degree[edges.u[e]]++;
    degree[edges.v[e]]++;
  }
  return degree;
}

export function isConnected(n: number, edges: EdgeList): boolean {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  let components = n;
  for (let e = 0; e < edges.u.length; e++) {
    const a = find(edges.u[e]);
    const b = find(edges.v[e]);
    if (a !== b) {
      parent[a] = b;
      components--;
    }
  }
  return components <= 1;
}
