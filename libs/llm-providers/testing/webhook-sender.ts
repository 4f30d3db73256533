import { createHmac } from 'node:crypto';

/**
 * A provider's side of a webhook delivery, for tests and benches. Standard Webhooks (standardwebhooks.com), as OpenAI
 * and Gemini project webhooks send it: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, the key
 * being the base64 part of a `whsec_` secret (any other secret is used as its bytes).
 */
export function standardWebhookHeaders(
  body: string,
  secret: string,
  webhookId: string,
  atSeconds = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const key = secret.startsWith('whsec_')
    ? Buffer.from(secret.slice('whsec_'.length), 'base64')
    : Buffer.from(secret);
  const signature = createHmac('sha256', key).update(`${webhookId}.${atSeconds}.${body}`).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': webhookId,
    'webhook-timestamp': String(atSeconds),
    'webhook-signature': `v1,${signature}`,
  };
}

/** An OpenAI batch event body (openai SDK resources/webhooks: BatchCompletedWebhookEvent and its siblings). */
export function openAiBatchEventBody(
  type: string, // batch.completed, batch.failed, batch.expired or batch.cancelled
  providerBatchId: string,
  eventId = `evt_${providerBatchId}_${type}`,
): string {
  return JSON.stringify({
    id: eventId,
    object: 'event',
    created_at: Math.floor(Date.now() / 1000),
    type,
    data: { id: providerBatchId },
  });
}

/** OpenAI's signed `batch.completed` delivery for a provider batch: the body and the headers to POST it with. */
export function signedOpenAiBatchCompleted(
  secret: string,
  providerBatchId: string,
  webhookId: string,
): { body: string; headers: Record<string, string> } {
  const body = openAiBatchEventBody('batch.completed', providerBatchId, `evt_${webhookId}`);
  return { body, headers: standardWebhookHeaders(body, secret, webhookId) };
}
