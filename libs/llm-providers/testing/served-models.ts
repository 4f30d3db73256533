/**
 * The model name each real API reports in its answer, which is often NOT the name that was requested. The fakes
 * answer with these so an adapter that compares or prices by the reported name fails a test. Written from the
 * providers' behaviour, independently of the adapters and of the model catalog:
 * - OpenAI: a request for an alias comes back with the dated snapshot in `model` (`gpt-5-mini` →
 *   `gpt-5-mini-2025-08-07`; snapshot names from the openai SDK 6.49 `ChatModel` union). An alias we have no
 *   snapshot for gets a made-up date, which is still a name that differs from the request.
 * - Gemini: `modelVersion` names the concrete version behind an alias (ai.google.dev generateContent response
 *   reference: "The model version used to generate the response"); the exact strings are not documented, so the
 *   fake appends a version suffix.
 * - OpenRouter: `model` in a completion is OpenRouter's versioned slug of the endpoint that served it
 *   (`anthropic/claude-sonnet-4.6` → `anthropic/claude-4.6-sonnet-20260217`, as seen in OpenRouter responses;
 *   unconfirmed in the API reference, which only types it as a string).
 * - Anthropic: `model` echoes the requested id for current model ids (platform.claude.com Messages API
 *   reference); the fake keeps the request's name there.
 */
const OPENAI_SNAPSHOTS: Record<string, string> = {
  'gpt-5': 'gpt-5-2025-08-07',
  'gpt-5-mini': 'gpt-5-mini-2025-08-07',
  'gpt-5-nano': 'gpt-5-nano-2025-08-07',
  'gpt-5.4-mini': 'gpt-5.4-mini-2026-03-17',
  'gpt-5.4-nano': 'gpt-5.4-nano-2026-03-17',
  'gpt-4.1-mini': 'gpt-4.1-mini-2025-04-14',
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
};

const DATED = /-\d{4}-\d{2}-\d{2}$/;

export function openAIServedModel(requested: string): string {
  if (DATED.test(requested)) return requested;
  return OPENAI_SNAPSHOTS[requested] ?? `${requested}-2026-01-15`;
}

export function geminiModelVersion(requested: string): string {
  return /-\d{3}$/.test(requested) ? requested : `${requested}-001`;
}

const OPENROUTER_SLUGS: Record<string, string> = {
  'anthropic/claude-sonnet-4.6': 'anthropic/claude-4.6-sonnet-20260217',
  'anthropic/claude-sonnet-4.5': 'anthropic/claude-4.5-sonnet-20250929',
  'openai/gpt-5.4-mini': 'openai/gpt-5.4-mini-2026-03-17',
};

export function openRouterServedModel(requested: string): string {
  return OPENROUTER_SLUGS[requested] ?? `${requested}-20260101`;
}
