/** The size limits a request is checked against before any per-item work (from the environment). */
export interface RequestLimits {
  maxComparisonsPerBatch: number;
  maxEssayChars: number;
  maxPromptChars: number;
  /** Bytes of one comparison's metadata as JSON (METADATA_MAX_BYTES). */
  metadataMaxBytes: number;
  /** Nesting depth of one comparison's metadata; `{}` is depth 1 (METADATA_MAX_DEPTH). */
  metadataMaxDepth: number;
}
