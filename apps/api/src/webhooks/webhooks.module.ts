import { Module } from '@nestjs/common';
import { WebhookService } from './webhook.service.js';
import { WebhooksController } from './webhooks.controller.js';

/** /webhooks/<provider>. Needs BatchWakeups and BatchQueues (storage) and API_SETTINGS from global modules. */
@Module({ controllers: [WebhooksController], providers: [WebhookService] })
export class WebhooksModule {}
