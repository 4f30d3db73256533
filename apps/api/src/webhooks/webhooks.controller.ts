import { Controller, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiError } from '../http/api-error.js';
import { WEBHOOK_PROVIDERS, type WebhookProvider } from './provider-notification.js';
import { WebhookService, type WebhookOutcome } from './webhook.service.js';

/**
 * Providers' batch-completion notifications. No API key here: each call is verified by its signature (OpenAI,
 * Gemini project webhooks) or by the token in the per-batch URL we gave the provider (OpenRouter, Gemini per-job).
 */
@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhookService) {}

  @Post(':provider')
  @HttpCode(200)
  @ApiOperation({
    summary: 'A provider says a batch ended (openai, google, openrouter); 401 when unverified',
  })
  @ApiOkResponse({ description: '{status: woken | duplicate | ignored, batch_id?}' })
  receive(
    @Param('provider') provider: string,
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
  ): Promise<WebhookOutcome> {
    if (!(WEBHOOK_PROVIDERS as readonly string[]).includes(provider))
      throw ApiError.notFound('Webhook', provider);
    const rawBody = typeof req.body === 'string' ? req.body : '';
    return this.webhooks.receive(provider as WebhookProvider, { rawBody, headers: req.headers, query });
  }
}
