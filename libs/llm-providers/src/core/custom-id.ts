/** Provider per-request ids must match this (Anthropic's rule, the strictest of the four). */
export const CUSTOM_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

const MAX_LENGTH = 64;

/**
 * A provider-safe id for the item at `index` of a batch part: the comparison id with unsafe characters replaced,
 * cut to fit, then `_<index>`. The index makes it unique within the part even when two sanitised prefixes
 * collide; the prefix keeps provider consoles readable.
 */
export function toCustomId(comparisonId: string, index: number): string {
  if (!Number.isInteger(index) || index < 0)
    throw new RangeError(`custom id index must be >= 0, got ${index}`);
  const suffix = `_${index}`;
  const prefix = comparisonId.replace(/[^a-zA-Z0-9_-]/g, '-').slice(0, MAX_LENGTH - suffix.length);
  return `${prefix || 'c'}${suffix}`.slice(-MAX_LENGTH);
}

/** The index encoded by toCustomId, or undefined for an id it could not have produced. */
export function customIdIndex(customId: string): number | undefined {
  const match = /_(\d+)$/.exec(customId);
  return match ? Number(match[1]) : undefined;
}

/** Both directions for one part: custom ids in part order, and custom id → comparison id. */
export class CustomIdMap {
  readonly customIds: string[];

  constructor(private readonly comparisonIds: readonly string[]) {
    this.customIds = comparisonIds.map((id, index) => toCustomId(id, index));
  }

  /** Undefined for ids this part did not send (a provider echoing a foreign or mangled id). */
  comparisonIdOf(customId: string): string | undefined {
    const index = customIdIndex(customId);
    if (index === undefined || index >= this.customIds.length) return undefined;
    return this.customIds[index] === customId ? this.comparisonIds[index] : undefined;
  }
}
