/** 32-bit FNV-1a over the parts joined with a separator: stable across processes and machines. */
export function hashString(...parts: Array<string | number>): number {
  let hash = 0x811c9dc5;
  const text = parts.join('\u001f');
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A uniform number in [0, 1) determined by the parts (one draw; use a new part for another draw). */
export function unitFromHash(...parts: Array<string | number>): number {
  // Mix the bits once more (mulberry32 step) so nearby inputs do not give nearby outputs.
  let t = (hashString(...parts) + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
