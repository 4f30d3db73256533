import type { OutboxMessage } from './batch.types.js';

/**
 * One outbox entry as read back: the stored text (its identity for ack), where it goes, and its Kafka value. The
 * value is the envelope's JSON cut out of the stored text, not parsed and serialized again: the drain publishes
 * every event of a batch (10,000 for a large one), and the round trip through objects was a tenth of the worker's
 * CPU in it. The parsed message is there on demand (a dead letter's event id).
 */
export interface OutboxEntry {
  readonly raw: string;
  readonly topic: string;
  readonly key: string;
  /** The envelope as JSON: the Kafka record's value. */
  readonly value: string;
  readonly message: OutboxMessage;
}

/** How an appended message is stored: `JSON.stringify(message)` of `{ topic, key, envelope }`, in that order. */
const TOPIC_FIELD = '{"topic":';
const KEY_FIELD = ',"key":';
const ENVELOPE_FIELD = ',"envelope":';

class StoredOutboxEntry implements OutboxEntry {
  private parsed?: OutboxMessage;

  constructor(
    readonly raw: string,
    readonly topic: string,
    readonly key: string,
    readonly value: string,
    parsed?: OutboxMessage,
  ) {
    this.parsed = parsed;
  }

  get message(): OutboxMessage {
    this.parsed ??= JSON.parse(this.raw) as OutboxMessage;
    return this.parsed;
  }
}

/**
 * Reads a stored outbox entry. Text of the shape the appends write is split at its three fields (the topic and
 * key strings parsed, the envelope kept as it is); anything else (another field order, an older writer) is parsed
 * whole and its envelope serialized, as before. Throws on text that is not JSON, as JSON.parse does.
 */
export function outboxEntryOf(raw: string): OutboxEntry {
  if (raw.startsWith(TOPIC_FIELD) && raw.endsWith('}')) {
    const topicEnd = endOfJsonString(raw, TOPIC_FIELD.length);
    if (topicEnd > 0 && raw.startsWith(KEY_FIELD, topicEnd)) {
      const keyStart = topicEnd + KEY_FIELD.length;
      const keyEnd = endOfJsonString(raw, keyStart);
      if (keyEnd > 0 && raw.startsWith(ENVELOPE_FIELD, keyEnd)) {
        const valueStart = keyEnd + ENVELOPE_FIELD.length;
        // The envelope must be the last field: its object closes right before the entry's.
        if (endOfJsonObject(raw, valueStart) === raw.length - 1) {
          const value = raw.slice(valueStart, -1);
          const topic = JSON.parse(raw.slice(TOPIC_FIELD.length, topicEnd)) as string;
          const key = JSON.parse(raw.slice(keyStart, keyEnd)) as string;
          return new StoredOutboxEntry(raw, topic, key, value);
        }
      }
    }
  }
  const message = JSON.parse(raw) as OutboxMessage;
  return new StoredOutboxEntry(raw, message.topic, message.key, JSON.stringify(message.envelope), message);
}

/**
 * The index just past the JSON object starting at `start` (its opening brace), or -1 when there is none there:
 * braces and brackets counted outside strings, each string skipped whole (a few native searches per field).
 */
function endOfJsonObject(text: string, start: number): number {
  if (text.charCodeAt(start) !== 0x7b) return -1;
  let depth = 0;
  for (let at = start; at < text.length; at += 1) {
    const c = text.charCodeAt(at);
    if (c === 0x22) {
      const end = endOfJsonString(text, at);
      if (end < 0) return -1;
      at = end - 1;
    } else if (c === 0x7b || c === 0x5b) depth += 1;
    else if ((c === 0x7d || c === 0x5d) && --depth === 0) return at + 1;
  }
  return -1;
}

/**
 * The index just past the JSON string starting at `start` (its opening quote), or -1 when there is none there.
 * Inside a JSON string a quote is escaped (`\"`), and so is a backslash (`\\`): the first quote preceded by an
 * even number of backslashes ends it.
 */
function endOfJsonString(text: string, start: number): number {
  if (text.charCodeAt(start) !== 0x22) return -1;
  for (let at = text.indexOf('"', start + 1); at >= 0; at = text.indexOf('"', at + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === 0x5c) backslashes += 1;
    if (backslashes % 2 === 0) return at + 1;
  }
  return -1;
}
