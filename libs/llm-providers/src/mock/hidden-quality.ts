/**
 * The mock judge's hidden ground truth: an essay containing `[[quality:0.73]]` (a non-negative decimal, usually
 * 0–1) has that true quality. Tests and the demo plant it so ranking recovery can be checked end to end.
 */
export const QUALITY_MARKER_PATTERN = /\[\[quality:(\d+(?:\.\d+)?)\]\]/;

export function withHiddenQuality(text: string, quality: number): string {
  if (!Number.isFinite(quality) || quality < 0) throw new RangeError(`quality must be >= 0, got ${quality}`);
  return `${text.replace(new RegExp(QUALITY_MARKER_PATTERN, 'g'), '').trimEnd()}\n\n[[quality:${quality}]]`;
}

export function readHiddenQuality(text: string): number | undefined {
  const match = QUALITY_MARKER_PATTERN.exec(text);
  return match ? Number(match[1]) : undefined;
}
