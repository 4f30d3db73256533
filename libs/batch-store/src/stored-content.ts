import type { ComparisonRequest } from '#contracts';
import type { BatchContent, EssayBatchContent, EssayRefComparison } from './batch.types.js';

/** Inline batches up to this many requests are stored as they are (and travel inside the create script). */
export const INLINE_REQUESTS = 16;

/**
 * The form a batch's content is stored in. An inline batch of more than INLINE_REQUESTS comparisons that share one
 * prompt is stored in the essay-referencing form: each distinct essay text once (ids given in order of first
 * appearance), the comparisons by id. A 10,000-comparison body typically names a few hundred essays, each in dozens
 * of comparisons: this stores (and serialises, and hashes for idempotency) ~1 MB instead of ~12 MB, and
 * getRequests gives back exactly the comparisons sent. Texts are told apart by the strings themselves (a Map), so
 * two different texts can never share an id. Comparisons with differing prompts, and content already in the essay
 * form, are kept as they are. The same content always gives the same form: a pure function of it.
 */
export function storedContent(given: BatchContent): BatchContent {
  if (!Array.isArray(given) || given.length <= INLINE_REQUESTS) return given;
  const requests: ComparisonRequest[] = given;
  const prompt = requests[0].user_prompt;
  for (const request of requests) if (request.user_prompt !== prompt) return requests;
  const ids = new Map<string, string>();
  const essays: EssayBatchContent['essays'] = [];
  const idOf = (text: string): string => {
    let id = ids.get(text);
    if (id === undefined) {
      id = String(essays.length);
      ids.set(text, id);
      essays.push({ essay_id: id, text });
    }
    return id;
  };
  const comparisons = requests.map((request): EssayRefComparison => ({
    comparison_id: request.comparison_id,
    essay_a_id: idOf(request.essay_a),
    essay_b_id: idOf(request.essay_b),
    ...(request.metadata !== undefined ? { metadata: request.metadata } : {}),
  }));
  return { user_prompt: prompt, essays, comparisons };
}

/**
 * The prefix of request hashes taken over the stored form of an inline batch's content (storedContent) rather than
 * over its body as sent: the same request either way, but ~1 MB to hash instead of ~12 MB for 10,000 comparisons.
 * A hash without it was taken over the body (every other request, and inline batches accepted before).
 */
export const REQUEST_HASH_VERSION = 's1:';

export function isVersionedRequestHash(hash: string): boolean {
  return hash.startsWith(REQUEST_HASH_VERSION);
}
