import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The capability in a per-batch webhook URL (OpenRouter `callback_url`, Gemini `webhookConfig.uris`): an HMAC of
 * provider and batch id under WEBHOOK_URL_SECRET, which the worker puts in the URL and the API checks. OpenRouter
 * documents no signature of its own, and Gemini signs per-job webhooks with Google JWTs, so this token is what
 * proves a call to /webhooks/<provider>?batch=… comes from the party we gave the URL to.
 */
export function webhookUrlToken(secret: string, provider: string, batchId: string): string {
  return createHmac('sha256', secret).update(`${provider}:${batchId}`).digest('base64url');
}

export function isValidWebhookUrlToken(
  secret: string,
  provider: string,
  batchId: string,
  token: string,
): boolean {
  const expected = Buffer.from(webhookUrlToken(secret, provider, batchId));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The URL a provider calls when batch `batchId` ends. */
export function batchWebhookUrl(baseUrl: string, secret: string, provider: string, batchId: string): string {
  const url = new URL(`webhooks/${provider}`, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('batch', batchId);
  url.searchParams.set('token', webhookUrlToken(secret, provider, batchId));
  return url.toString();
}
