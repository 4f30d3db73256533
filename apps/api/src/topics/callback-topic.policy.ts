import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { isInternalTopic } from '#contracts';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { TOPIC_DIRECTORY, TopicDirectoryUnavailableError, type TopicDirectory } from './topic-directory.js';

/**
 * The one place a callback topic is decided: the platform result topic unless the caller names another; a named
 * topic must not be internal, must be allowed for the caller's tenant (TENANT_CALLBACK_TOPICS) and must exist on
 * the broker. Every refusal is a 400 naming `callback_topic`; topics are never created here.
 */
@Injectable()
export class CallbackTopicPolicy {
  constructor(
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
    @Inject(TOPIC_DIRECTORY) private readonly directory: TopicDirectory,
  ) {}

  async resolve(principal: ApiPrincipal, requested: string | undefined): Promise<string> {
    const topic = requested ?? this.settings.defaultCallbackTopic;
    if (isInternalTopic(topic, this.settings.topicPrefix)) {
      throw ApiError.invalid('callback_topic', `callback_topic "${topic}" is an internal topic`);
    }
    if (!this.allowed(principal.tenant_id, topic)) {
      throw ApiError.invalid('callback_topic', `callback_topic "${topic}" is not allowed for this tenant`, {
        allowed: this.allowedTopics(principal.tenant_id),
      });
    }
    let exists: boolean;
    try {
      exists = await this.directory.exists(topic);
    } catch (err) {
      if (!(err instanceof TopicDirectoryUnavailableError)) throw err;
      throw new ApiError(
        HttpStatus.SERVICE_UNAVAILABLE,
        'EXTERNAL_SERVICE_ERROR',
        'Kafka cannot be asked whether callback_topic exists; try again',
        { field: 'callback_topic', retryAfterSeconds: 5 },
      );
    }
    if (!exists) throw ApiError.invalid('callback_topic', `callback_topic "${topic}" does not exist`);
    return topic;
  }

  private allowed(tenant: string, topic: string): boolean {
    return (
      topic === this.settings.defaultCallbackTopic ||
      (this.settings.callbackTopics.get(tenant)?.has(topic) ?? false)
    );
  }

  private allowedTopics(tenant: string): string[] {
    return [this.settings.defaultCallbackTopic, ...(this.settings.callbackTopics.get(tenant) ?? [])];
  }
}
