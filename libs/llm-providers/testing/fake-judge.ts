/**
 * The deterministic judge the provider fakes answer with, so tests can check which essay won. It reads the two
 * fenced essays of the shared prompt (<essay_a>/<essay_b>): a `[[quality:N]]` marker decides, otherwise the longer
 * essay wins, and a tie goes to Essay A.
 */
export interface FakeJudgement {
  winner: 'Essay A' | 'Essay B';
  justification: string;
  confidence: number;
}

export function judgeComparisonText(text: string): FakeJudgement {
  const essayA = between(text, '<essay_a>', '</essay_a>');
  const essayB = between(text, '<essay_b>', '</essay_b>');
  const scoreA = quality(essayA) ?? essayA.length;
  const scoreB = quality(essayB) ?? essayB.length;
  const winner = scoreB > scoreA ? 'Essay B' : 'Essay A';
  return {
    winner,
    justification: `${winner} is stronger (fake judge: ${scoreA} vs ${scoreB}).`,
    confidence: scoreA === scoreB ? 1 : 4,
  };
}

function between(text: string, open: string, close: string): string {
  const start = text.indexOf(open);
  const end = text.indexOf(close, start + open.length);
  return start === -1 || end === -1 ? '' : text.slice(start + open.length, end);
}

function quality(essay: string): number | undefined {
  const match = /\[\[quality:(\d+(?:\.\d+)?)\]\]/.exec(essay);
  return match ? Number(match[1]) : undefined;
}
