/**
 * The broker error types (`MESSAGE_TOO_LARGE`, `UNKNOWN_TOPIC_OR_PARTITION`, ...) found anywhere in a kafkajs
 * error: kafkajs wraps the protocol error in retry errors (`cause`, `originalError`) and, for a produce to several
 * partitions, in an aggregate (`errors`). Matching the stable `type` field, never the message text.
 */
export function kafkaErrorTypes(err: unknown): Set<string> {
  const types = new Set<string>();
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (!value || typeof value !== 'object' || seen.has(value) || depth > 8) return;
    seen.add(value);
    const e = value as { type?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
    if (typeof e.type === 'string') types.add(e.type);
    visit(e.cause, depth + 1);
    visit(e.originalError, depth + 1);
    if (Array.isArray(e.errors)) for (const inner of e.errors) visit(inner, depth + 1);
  };
  visit(err, 0);
  return types;
}
