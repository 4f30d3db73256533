// Runs every bench/*.bench.ts (or those whose name contains argv[2]) and prints one table.
import { readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { targetMet, type Benchmark, type BenchRow } from './bench.types.js';

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
const targetText = (r: BenchRow) => {
  if (!r.target) return '';
  const parts = [
    r.target.max !== undefined ? `≤ ${fmt(r.target.max)} ${r.unit}` : '',
    r.target.min !== undefined ? `≥ ${fmt(r.target.min)} ${r.unit}` : '',
  ].filter(Boolean);
  return `${parts.join(', ')}${r.target.issue ? ` (${r.target.issue})` : ''}`;
};
const baselineText = (r: BenchRow) => {
  const parts: string[] = [];
  if (r.baseline) parts.push(`${fmt(r.baseline.value)} ${r.baseline.unit ?? r.unit} (${r.baseline.label})`);
  if (r.ratio) parts.push(`${r.ratio.value.toFixed(2)}x vs ${r.ratio.against}`);
  return parts.join('; ');
};
const metText = (r: BenchRow) => {
  const met = targetMet(r);
  return met === undefined ? '' : met ? 'yes' : 'NO';
};
const print = (title: string, selected: BenchRow[]) => {
  const header = ['benchmark', 'case', 'metric', 'target', 'measured', 'baseline (same run)', 'met?'];
  const table = selected.map((r) => [
    r.benchmark,
    r.case,
    r.metric,
    targetText(r),
    `${fmt(r.value)} ${r.unit}`,
    baselineText(r),
    metText(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const row of table) console.log(line(row));
};
const targeted = rows.filter((r) => r.target);
if (targeted.length > 0)
  print(
    `Targets (load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
    targeted,
  );
print('All figures', rows);
process.exit(0);
