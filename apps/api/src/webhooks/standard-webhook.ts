import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a delivery's timestamp may be from now (the Standard Webhooks default, as in the openai SDK). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Standard Webhooks verification (webhook-id, webhook-timestamp, webhook-signature `v1,<base64 HMAC-SHA256 of
 * id.timestamp.body>`; a `whsec_` secret is base64): Gemini's project-level webhooks use it. Returns the delivery
 * id, or a reason for refusing the call.
 */
export function verifyStandardWebhook(
  rawBody: string,
  headers: HeaderBag,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): { ok: true; deliveryId: string } | { ok: false; reason: string } {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing webhook signature headers' };
  const sentAt = Number(timestamp);
  if (!Number.isInteger(sentAt)) return { ok: false, reason: 'invalid webhook timestamp' };
  if (Math.abs(nowSeconds - sentAt) > WEBHOOK_TOLERANCE_SECONDS) {
    return { ok: false, reason: 'webhook timestamp outside the tolerance (replay?)' };
  }
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret);
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${rawBody}`).digest();
  const match = signatures.split(' ').some((part) => {
    const given = Buffer.from(part.startsWith('v1,') ? part.slice(3) : part, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return match ? { ok: true, deliveryId: id } : { ok: false, reason: 'webhook signature does not match' };
}
