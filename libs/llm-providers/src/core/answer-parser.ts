import { WINNERS, type ComparisonAnswer, type Winner } from '#contracts';
import { MAX_JUSTIFICATION_CHARS } from './prompt.js';
import { ProviderError } from './provider-error.js';

/**
 * Turns what a model returned (an object from a tool call / parsed JSON, or JSON text) into a ComparisonAnswer.
 * Anything unusable is an INVALID_RESPONSE error: a winner is never guessed, because a guessed judgement would
 * silently bias the assessment.
 */
export function parseComparisonAnswer(raw: unknown): ComparisonAnswer {
  const value = typeof raw === 'string' ? parseJsonText(raw) : raw;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('answer is not a JSON object');
  }
  const record = value as Record<string, unknown>;
  const winner = parseWinner(record.winner);
  const justification = record.justification;
  if (typeof justification !== 'string' || justification.trim() === '') {
    throw invalid('justification is missing or not a string');
  }
  return {
    winner,
    justification: truncate(justification.trim(), MAX_JUSTIFICATION_CHARS),
    confidence: parseConfidence(record.confidence),
  };
}

function parseJsonText(text: string): unknown {
  // Models in JSON mode sometimes still wrap the object in a Markdown fence.
  const unfenced = text
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '');
  try {
    return JSON.parse(unfenced);
  } catch {
    throw invalid('answer is not valid JSON');
  }
}

function parseWinner(value: unknown): Winner {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    const match = WINNERS.find((winner) => winner.toLowerCase() === trimmed.toLowerCase());
    if (match) return match;
  }
  throw invalid(`winner must be one of ${WINNERS.join(' / ')}`);
}

/** 1–5; fractional values are kept (the schema says number), out-of-range or non-numeric values are rejected. */
function parseConfidence(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > 5) {
    throw invalid('confidence must be a number from 1 to 5');
  }
  return value;
}

function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…';
}

function invalid(message: string): ProviderError {
  return new ProviderError('INVALID_RESPONSE', `Unusable judge answer: ${message}`);
}
