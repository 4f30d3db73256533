// `npm run drill -- chaos [--seed N] [--assessments N] [--batches N] [--kills N] [--kill-kafka]`: the chaos drill
// (test/chaos/chaos-drill.ts) at full size; prints the table and exits 1 if anything was duplicated, orphaned or lost.
import { chaosTable, runChaosDrill } from '../test/chaos/chaos-drill.js';

const [name, ...args] = process.argv.slice(2);
if (name !== 'chaos') {
  process.stderr.write(
    'usage: npm run drill -- chaos [--seed N] [--assessments N] [--batches N] [--kills N] [--kill-kafka]\n',
  );
  process.exit(2);
}
const flag = (key: string, fallback: number) => {
  const i = args.indexOf(`--${key}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const report = await runChaosDrill({
  seed: flag('seed', 11),
  assessments: flag('assessments', 12),
  essaysPerAssessment: flag('essays', 10),
  batches: flag('batches', 12),
  comparisonsPerBatch: flag('comparisons', 40),
  kills: flag('kills', 16),
  killEveryMs: flag('kill-every-ms', 2_500),
  settleTimeoutMs: flag('settle-ms', 300_000),
  killKafka: args.includes('--kill-kafka') || !args.includes('--no-kill-kafka'),
});
console.log(chaosTable(report));
for (const problem of report.problems) console.log(`problem: ${problem}`);
const clean =
  report.duplicates === 0 && report.orphans === 0 && report.lost === 0 && report.problems.length === 0;
process.exit(clean ? 0 : 1);
