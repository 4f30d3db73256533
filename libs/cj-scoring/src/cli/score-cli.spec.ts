import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BASEBALL_HOME_ADVANTAGE_REFERENCE,
  BASEBALL_REFERENCE,
  baseballJudgements,
} from '../bt/fixtures/baseball-1987.js';

// Spawns the real CLI the way `npm run score` does (jest runs from the repository root).
const CLI = join(process.cwd(), 'libs/cj-scoring/src/cli/score-cli.ts');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['-C', 'source', '--import', 'tsx', CLI, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

describe('score CLI (spawned)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cj-score-cli-'));
  const good = join(dir, 'baseball.json');
  const badEntry = join(dir, 'bad-entry.json');
  const badJson = join(dir, 'bad.json');
  writeFileSync(good, JSON.stringify(baseballJudgements()));
  writeFileSync(
    badEntry,
    JSON.stringify([...baseballJudgements().slice(0, 3), { essay_a: 'Boston', winner: 'A' }]),
  );
  writeFileSync(badJson, '[{"essay_a": ');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  interface Out {
    rankings: Array<{ essay_id: string; score: number }>;
    ssr: number;
    position_effect: { estimate: number; se: number; ci_lower: number; ci_upper: number } | null;
  }
  const relative = (out: Out, team: string) =>
    out.rankings.find((r) => r.essay_id === team)!.score -
    out.rankings.find((r) => r.essay_id === 'Baltimore')!.score;

  it('prints the ranking as JSON with --json, the position effect fitted by default', async () => {
    const { code, stdout } = await run([good, '--json']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as Out;
    expect(out.rankings.map((r) => r.essay_id)[0]).toBe('Milwaukee');
    const reference = BASEBALL_HOME_ADVANTAGE_REFERENCE;
    expect(out.position_effect!.estimate).toBeCloseTo(reference.eta.estimate, 4);
    expect(out.position_effect!.se).toBeCloseTo(reference.eta.se, 4);
    expect(relative(out, 'Boston')).toBeCloseTo(reference.teams.Boston.estimate, 4);
    expect(out.ssr).toBeGreaterThan(0.5);
  }, 30000);

  it('fits the plain model with --no-position-effect', async () => {
    const { code, stdout } = await run(['--no-position-effect', good, '--json']);
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as Out;
    expect(out.position_effect).toBeNull();
    expect(relative(out, 'Boston')).toBeCloseTo(BASEBALL_REFERENCE.Boston.estimate, 4);
  }, 30000);

  it('prints a readable table by default', async () => {
    const { code, stdout } = await run([good]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/rank\s+essay\s+score ± SE\s+wins\s+losses\s+comparisons/);
    expect(stdout).toMatch(/1\s+Milwaukee\s+\S+ ± \S+\s+50\s+28\s+78/);
    expect(stdout).toContain('SSR:');
    expect(stdout).toMatch(
      /Position effect \(Essay A\): \+0\.3023 logits, SE 0\.1309, 95% CI \[0\.0456, 0\.5589\]/,
    );
  }, 30000);

  it.each([
    ['a bad entry', () => [badEntry], /entry 3: essay_b is missing/],
    ['bad JSON', () => [badJson], /is not valid JSON/],
    ['a missing file', () => [join(dir, 'missing.json')], /cannot read .*ENOENT/],
    ['no file', () => [], /usage: npm run score/],
  ])(
    'exits 2 with a clear message for %s',
    async (_name, args, message) => {
      const { code, stderr, stdout } = await run(args());
      expect(code).toBe(2);
      expect(stderr).toMatch(message);
      expect(stdout).toBe('');
    },
    30000,
  );
});
