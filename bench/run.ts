// Runs every bench/*.bench.ts (or those whose name contains argv[2]) and prints one table.
import { readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { Benchmark, BenchRow } from './bench.types.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filter = process.argv[2];
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();

const rows: BenchRow[] = [];
let servicesUp = false;
for (const file of files) {
  const bench = (await import(pathToFileURL(join(dir, file)).href)).default as Benchmark;
  if (bench.needsServices && !servicesUp) {
    execFileSync('bash', [join(dir, '..', 'scripts', 'services.sh'), 'up'], { stdio: 'inherit' });
    servicesUp = true;
  }
  process.stderr.write(`bench: ${bench.name}\n`);
  rows.push(...(await bench.run()));
}

const fmt = (v: number) =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
const table = rows.map((r) => [
  r.benchmark,
  r.case,
  r.metric,
  `${fmt(r.value)} ${r.unit}`,
  r.ratio ? `${r.ratio.value.toFixed(2)}x vs ${r.ratio.against}` : '',
]);
const header = ['benchmark', 'case', 'metric', 'value', 'ratio'];
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
console.log(line(header));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const row of table) console.log(line(row));
process.exit(0);
