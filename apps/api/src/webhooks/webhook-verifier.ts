import { HttpStatus } from '@nestjs/common';
import OpenAI from 'openai';
import { isValidWebhookUrlToken } from '#batch-store';
import { ApiError } from '../http/api-error.js';
import type { ProviderNotification, WebhookProvider } from './provider-notification.js';
import { verifyStandardWebhook, type HeaderBag } from './standard-webhook.js';

/** Secrets the webhook routes verify with (absent: that provider's route answers 404). */
export interface WebhookSecrets {
  /** OpenAI's signing secret (`whsec_…`), checked by the openai SDK's `webhooks.unwrap`. */
  openai?: string;
  /** Gemini's project-level webhook signing secret (Standard Webhooks). */
  gemini?: string;
  /** Signs the per-batch webhook URLs the worker gives OpenRouter and Gemini (WEBHOOK_URL_SECRET). */
  url?: string;
}

export interface WebhookCall {
  rawBody: string;
  headers: HeaderBag;
  query: Record<string, unknown>;
}

const OPENAI_TERMINAL = new Set(['batch.completed', 'batch.failed', 'batch.expired', 'batch.cancelled']);
const GEMINI_TERMINAL = new Set(['batch.succeeded', 'batch.failed', 'batch.expired', 'batch.cancelled']);

const refused = (reason: string) =>
  new ApiError(HttpStatus.UNAUTHORIZED, 'AUTHENTICATION_ERROR', `Webhook not verified: ${reason}`);
const malformed = (message: string) => ApiError.invalid('body', message);
const notConfigured = (provider: string) =>
  new ApiError(HttpStatus.NOT_FOUND, 'NOT_FOUND', `Webhooks from ${provider} are not configured here`);

function parseJson(raw: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw malformed('Webhook body must be a JSON object');
}

const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);
const obj = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' ? (value as Record<string, unknown>) : {};

/**
 * Turns a provider's webhook call into a notification, or refuses it: 401 when it cannot be verified (bad or
 * missing signature, stale timestamp, wrong URL token), 400 when verified but not understood, 404 when this
 * deployment has no secret for that provider. Nothing is read from an unverified body.
 */
export class WebhookVerifier {
  private readonly openai?: OpenAI;

  constructor(private readonly secrets: WebhookSecrets) {
    // The SDK client is used only for webhooks.unwrap; it never calls OpenAI.
    if (secrets.openai)
      this.openai = new OpenAI({ apiKey: 'webhook-verification-only', webhookSecret: secrets.openai });
  }

  async verify(provider: WebhookProvider, call: WebhookCall): Promise<ProviderNotification> {
    if (provider === 'openai') return this.openaiNotification(call);
    if (provider === 'google') return this.geminiNotification(call);
    return this.openRouterNotification(call);
  }

  /** Standard Webhooks signature checked by the SDK (HMAC over id.timestamp.body, 5-minute tolerance). */
  private async openaiNotification(call: WebhookCall): Promise<ProviderNotification> {
    if (!this.openai) throw notConfigured('openai');
    let event: { id?: unknown; type?: unknown; data?: unknown };
    try {
      event = (await this.openai.webhooks.unwrap(
        call.rawBody,
        call.headers as Record<string, string>,
      )) as typeof event;
    } catch (err) {
      if (err instanceof SyntaxError) throw malformed('Webhook body must be a JSON object');
      throw refused(err instanceof Error ? err.message : 'invalid signature');
    }
    const type = str(event.type);
    const providerBatchId = str(obj(event.data).id);
    if (!type) throw malformed('OpenAI webhook event without a type');
    const deliveryId = str(call.headers['webhook-id']) ?? str(event.id) ?? `${type}:${providerBatchId}`;
    const terminal = OPENAI_TERMINAL.has(type);
    if (terminal && !providerBatchId) throw malformed('OpenAI batch event without data.id');
    return { deliveryId, type, batchId: null, providerBatchId, terminal };
  }

  /**
   * A per-batch webhook (webhookConfig.uris, signed by Google with JWTs we do not hold keys for) is trusted by
   * the token in its URL; a project-level one by its Standard Webhooks signature.
   */
  private geminiNotification(call: WebhookCall): ProviderNotification {
    const viaUrl = this.urlTokenBatch('google', call);
    let deliveryId: string | null = null;
    if (!viaUrl) {
      if (!this.secrets.gemini)
        throw this.secrets.url ? refused('missing batch token') : notConfigured('google');
      const verdict = verifyStandardWebhook(call.rawBody, call.headers, this.secrets.gemini);
      if (!verdict.ok) throw refused(verdict.reason);
      deliveryId = verdict.deliveryId;
    }
    const event = parseJson(call.rawBody);
    const type = str(event.type) ?? 'batch.unknown';
    const data = obj(event.data);
    const providerBatchId = str(data.name) ?? str(data.id) ?? str(event.name);
    const metadataKey = str(obj(event.user_metadata ?? data.user_metadata).batch_key);
    const batchId = viaUrl ?? null;
    if (!batchId && !providerBatchId && !metadataKey) throw malformed('Gemini webhook names no batch');
    return {
      deliveryId: deliveryId ?? str(call.headers['webhook-id']) ?? `${batchId}:${type}`,
      type,
      batchId: batchId ?? null,
      providerBatchId,
      terminal: GEMINI_TERMINAL.has(type),
    };
  }

  /** OpenRouter documents no signature: the callback_url we gave it carries the batch id and our token. */
  private openRouterNotification(call: WebhookCall): ProviderNotification {
    if (!this.secrets.url) throw notConfigured('openrouter');
    const batchId = this.urlTokenBatch('openrouter', call);
    if (!batchId) throw refused('missing or wrong batch token');
    const event = call.rawBody.trim().length > 0 ? parseJson(call.rawBody) : {};
    const type = str(event.type) ?? str(event.status) ?? 'batch.ended';
    return {
      deliveryId: `${batchId}:${type}`,
      type,
      batchId,
      providerBatchId: str(event.id) ?? str(obj(event.data).id),
      terminal: true,
    };
  }

  /** The batch id of a per-batch webhook URL whose token verifies; null when the URL carries none. */
  private urlTokenBatch(provider: WebhookProvider, call: WebhookCall): string | null {
    const batch = str(call.query.batch);
    const token = str(call.query.token);
    if (!batch && !token) return null;
    if (!this.secrets.url) throw notConfigured(provider);
    if (!batch || !token || !isValidWebhookUrlToken(this.secrets.url, provider, batch, token)) {
      throw refused('wrong batch token');
    }
    return batch;
  }
}
