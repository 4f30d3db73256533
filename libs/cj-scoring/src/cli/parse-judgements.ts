import { CjScoringError } from '../errors/cj-scoring-error.js';
import type { Judgement } from '../types.js';

export interface ParsedJudgements {
  judgements: Judgement[];
  /** Every essay named in the file, in order of first appearance. */
  essayIds: string[];
}

function invalid(index: number, field: string, problem: string): CjScoringError {
  return new CjScoringError('INVALID_JUDGEMENT', `entry ${index}: ${field} ${problem}`, { index, field });
}

/**
 * Parses exported judgements, `[{"essay_a", "essay_b", "winner": "Essay A" | "Essay B"}, ...]`. Extra fields are
 * ignored. Every problem is reported with the entry index and the field, never with essay text.
 */
export function parseJudgementsJson(text: string, source = 'input'): ParsedJudgements {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CjScoringError(
      'INVALID_INPUT_FILE',
      `${source} is not valid JSON: ${(error as Error).message}`,
    );
  }
  if (!Array.isArray(data)) {
    throw new CjScoringError('INVALID_INPUT_FILE', `${source} must hold a JSON array of judgements`);
  }
  const seen = new Set<string>();
  const essayIds: string[] = [];
  const judgements = data.map((entry: unknown, index): Judgement => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new CjScoringError('INVALID_JUDGEMENT', `entry ${index} is not an object`, { index });
    }
    const record = entry as Record<string, unknown>;
    for (const field of ['essay_a', 'essay_b'] as const) {
      const value = record[field];
      if (value === undefined) throw invalid(index, field, 'is missing');
      if (typeof value !== 'string' || value.trim() === '')
        throw invalid(index, field, 'must be a non-empty string');
    }
    if (record.essay_a === record.essay_b) throw invalid(index, 'essay_b', 'is the same essay as essay_a');
    if (record.winner === undefined) throw invalid(index, 'winner', 'is missing');
    if (record.winner !== 'Essay A' && record.winner !== 'Essay B') {
      throw invalid(index, 'winner', `must be "Essay A" or "Essay B", got ${JSON.stringify(record.winner)}`);
    }
    const judgement: Judgement = {
      essay_a: record.essay_a as string,
      essay_b: record.essay_b as string,
      winner: record.winner,
    };
    for (const id of [judgement.essay_a, judgement.essay_b]) {
      if (!seen.has(id)) {
        seen.add(id);
        essayIds.push(id);
      }
    }
    return judgement;
  });
  return { judgements, essayIds };
}
