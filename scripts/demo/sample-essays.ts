// Sample essays with a known quality order, for the demo and the CJ tests. Each text carries the Mock provider's
// hidden `[[quality:x]]` marker (withHiddenQuality), so the Mock judges by it and the true order is recoverable.
import type { CJAssessmentRequestedV1 } from '#contracts';
// Direct file import: the provider lib's index pulls in Nest modules, which scripts need not load.
import { withHiddenQuality } from '../../libs/llm-providers/src/mock/hidden-quality.js';

/** The Mock judge's P(A wins) = 1 / (1 + e^(-8 (qA - qB))): a 0–2 spread keeps neighbours distinguishable yet noisy. */
export const QUALITY_SPREAD = 2;

const OPENINGS = [
  'School uniforms',
  'Homework limits',
  'A four-day school week',
  'Phones in class',
  'Learning a second language',
  'Public libraries',
  'Team sports',
  'Online lessons',
];
const STRENGTHS = [
  'states a position but gives no reason',
  'gives one reason without an example',
  'gives two reasons, one with an example',
  'develops three reasons with examples and a short counter-argument',
  'weighs evidence on both sides, rebuts the strongest objection and concludes clearly',
];

export interface SampleEssay {
  essay_id: string;
  text: string;
  /** The planted true quality; higher is better. */
  quality: number;
  /** 1 = best. */
  true_rank: number;
}

/** `count` essays, essay ids `essay-01`…, qualities evenly spread over (0, QUALITY_SPREAD), in a mixed order. */
export function sampleEssays(count: number): SampleEssay[] {
  const essays: SampleEssay[] = [];
  for (let i = 0; i < count; i++) {
    // A fixed permutation (7 is coprime with every count used) so ids do not reveal the order.
    const level = (i * 7 + 3) % count;
    const quality = Number(((QUALITY_SPREAD * (level + 0.5)) / count).toFixed(4));
    const topic = OPENINGS[i % OPENINGS.length];
    const strength =
      STRENGTHS[Math.min(STRENGTHS.length - 1, Math.floor((level * STRENGTHS.length) / count))];
    const text = withHiddenQuality(`${topic}: this essay ${strength}.`, quality);
    essays.push({
      essay_id: `essay-${String(i + 1).padStart(2, '0')}`,
      text,
      quality,
      true_rank: count - level,
    });
  }
  return essays;
}

export function sampleRequest(
  assessmentId: string,
  essays: SampleEssay[],
  options: Partial<CJAssessmentRequestedV1> = {},
): CJAssessmentRequestedV1 {
  return {
    assessment_id: assessmentId,
    essays: essays.map(({ essay_id, text }) => ({ essay_id, text })),
    assignment: 'Write a short persuasive essay (150-300 words) on a school policy of your choice.',
    criteria:
      'Reward a clear position, relevant reasons supported by examples, engagement with counter-arguments, ' +
      'and a logical structure. Do not reward length on its own.',
    instructions: 'Judge the argument, not spelling.',
    llm_config: { provider_override: 'mock' },
    comparisons_per_essay: 10,
    seed: 7,
    ...options,
  };
}
