import type { ComparisonRequest, TokenUsage, Winner } from '#contracts';
import { readHiddenQuality } from './hidden-quality.js';
import { hashString, unitFromHash } from './seeded-random.js';

/**
 * How sharply quality differences decide: P(A wins) = 1 / (1 + e^(-k·(qA - qB))). With k = 8 a 0.1 gap wins
 * 69% of the time and a 0.5 gap 98%, noisy like human judges yet recoverable by Bradley–Terry.
 */
export const MOCK_JUDGE_SHARPNESS = 8;

export type MockOutcome = 'ok' | 'error' | 'expired';

/** Everything needed to rebuild one item's result later, compact enough to live in a batch ref. */
export interface MockJudgement {
  winner: Winner;
  confidence: number;
  usage: TokenUsage;
  outcome: MockOutcome;
}

export interface MockJudgeSettings {
  seed: number;
  errorRate: number;
  expiryRate: number;
  /** Justification length in characters; 0 or absent: the one short sentence. */
  justificationChars?: number;
}

/**
 * Deterministic for (comparison_id, seed, essays): the same comparison gets the same answer in every process,
 * so a restarted worker can rebuild results and tests can assert exact outcomes.
 */
export function judgeMock(
  request: ComparisonRequest,
  systemPrompt: string,
  settings: MockJudgeSettings,
): MockJudgement {
  const { seed } = settings;
  const id = request.comparison_id;
  const qualityA = readHiddenQuality(request.essay_a);
  const qualityB = readHiddenQuality(request.essay_b);
  const pA =
    qualityA !== undefined && qualityB !== undefined
      ? 1 / (1 + Math.exp(-MOCK_JUDGE_SHARPNESS * (qualityA - qualityB)))
      : // No hidden signal: a fixed, arbitrary preference per pair of texts.
        hashString(seed, request.essay_a, request.essay_b) % 2 === 0
        ? 0.75
        : 0.25;
  const winner: Winner = unitFromHash(seed, id, 'winner') < pA ? 'Essay A' : 'Essay B';
  const certainty = Math.abs(pA - 0.5) * 2; // 0 = coin flip, 1 = certain
  const confidence = 1 + Math.round(certainty * 4);
  const outcome: MockOutcome =
    unitFromHash(seed, id, 'error') < settings.errorRate
      ? 'error'
      : unitFromHash(seed, id, 'expiry') < settings.expiryRate
        ? 'expired'
        : 'ok';
  const promptChars =
    systemPrompt.length + request.user_prompt.length + request.essay_a.length + request.essay_b.length;
  const promptTokens = Math.ceil(promptChars / 4) + 60;
  const justificationLength = mockJustification(winner, confidence, settings.justificationChars).length;
  const completionTokens = Math.ceil(justificationLength / 4) + 20;
  return {
    winner,
    confidence,
    outcome,
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

const REASONS = [
  ' Its position is clearer from the first paragraph and it keeps to it throughout.',
  ' The reasons are developed with concrete examples rather than asserted.',
  ' Paragraphs follow one another logically, each with a purpose the reader can see.',
  ' The other essay raises good points but leaves several of them unsupported.',
  ' Counter-arguments are acknowledged and answered instead of ignored.',
  ' Word choice is precise and the sentences vary in length and structure.',
  ' The conclusion draws the argument together rather than repeating the introduction.',
];

/**
 * The mock's justification: one sentence naming the winner, or exactly `chars` characters when `chars` > 0 (the
 * sentence followed by assessor-style reasons, cut to length), so event and result sizes can be made realistic.
 */
export function mockJustification(winner: Winner, confidence: number, chars = 0): string {
  const sentence = `${winner} is the stronger essay overall (mock judge, confidence ${confidence}/5).`;
  if (chars <= 0) return sentence;
  let text = sentence;
  for (let i = 0; text.length < chars; i++) text += REASONS[i % REASONS.length];
  return text.slice(0, chars);
}

/** [winner 0|1, confidence, prompt tokens, completion tokens, outcome 0|1|2]: ~20 bytes per item in a ref. */
export type PackedJudgement = [number, number, number, number, number];
const OUTCOMES: MockOutcome[] = ['ok', 'error', 'expired'];

export function packJudgement(j: MockJudgement): PackedJudgement {
  return [
    j.winner === 'Essay A' ? 0 : 1,
    j.confidence,
    j.usage.prompt_tokens,
    j.usage.completion_tokens,
    OUTCOMES.indexOf(j.outcome),
  ];
}

export function unpackJudgement(packed: PackedJudgement): MockJudgement {
  const [winner, confidence, prompt, completion, outcome] = packed;
  return {
    winner: winner === 0 ? 'Essay A' : 'Essay B',
    confidence,
    outcome: OUTCOMES[outcome] ?? 'error',
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}
