import { isInternalTopic, TOPIC_NAME_PATTERN } from '#contracts';
import { TENANT_ID_PATTERN } from '../auth/api-principal.js';

/** Which callback topics each tenant may name, besides the platform result topic every tenant may use. */
export type TenantCallbackTopics = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * Parses TENANT_CALLBACK_TOPICS: a JSON object `{"<tenant>": ["<topic>", …]}`. Refuses (with a message naming the
 * entry) a malformed tenant or topic name and any internal topic, so a configuration mistake stops the app instead
 * of opening an assessment topic to callers.
 */
export function parseTenantCallbackTopics(value: string, prefix: string): TenantCallbackTopics {
  const out = new Map<string, Set<string>>();
  if (value.trim() === '') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error('must be a JSON object {"<tenant>": ["<topic>", ...]}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('must be a JSON object {"<tenant>": ["<topic>", ...]}');
  }
  for (const [tenant, topics] of Object.entries(parsed)) {
    if (!TENANT_ID_PATTERN.test(tenant))
      throw new Error(`"${tenant}" is not a tenant name ([A-Za-z0-9_-], ≤ 64)`);
    if (!Array.isArray(topics) || topics.some((t) => typeof t !== 'string' || !TOPIC_NAME_PATTERN.test(t))) {
      throw new Error(`the topics of "${tenant}" must be an array of Kafka topic names`);
    }
    const internal = (topics as string[]).find((t) => isInternalTopic(t, prefix));
    if (internal) throw new Error(`"${internal}" is an internal topic and can never be a callback topic`);
    out.set(tenant, new Set(topics as string[]));
  }
  return out;
}
