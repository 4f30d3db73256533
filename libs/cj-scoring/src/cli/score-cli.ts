// Scores exported judgements: `npm run score -- <file.json> [--json] [--no-position-effect]`. Exit 0 on success,
// 2 on bad usage or input.
import { readFileSync } from 'node:fs';
import { CjScoringError } from '../errors/cj-scoring-error.js';
import { fitBradleyTerry } from '../bt/fit-bradley-terry.js';
import { parseJudgementsJson } from './parse-judgements.js';
import { rankingJson, rankingTable } from './format-ranking.js';

const USAGE = 'usage: npm run score -- <judgements.json> [--json] [--no-position-effect]';
const FLAGS = ['--json', '--no-position-effect'];

function main(args: string[]): number {
  const json = args.includes('--json');
  const positionEffect = !args.includes('--no-position-effect');
  const files = args.filter((a) => !FLAGS.includes(a));
  const unknownFlag = files.find((a) => a.startsWith('-'));
  if (unknownFlag || files.length !== 1) {
    process.stderr.write(`${unknownFlag ? `unknown option ${unknownFlag}\n` : ''}${USAGE}\n`);
    return 2;
  }
  const file = files[0];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    process.stderr.write(
      `error: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'read failed'}\n`,
    );
    return 2;
  }
  try {
    const { judgements, essayIds } = parseJudgementsJson(text, file);
    const result = fitBradleyTerry(essayIds, judgements, { positionEffect });
    process.stdout.write(
      json ? `${JSON.stringify(rankingJson(result), null, 2)}\n` : `${rankingTable(result)}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof CjScoringError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = main(process.argv.slice(2));
