/**
 * Redis Cluster hash slot of a key: CRC16 (XMODEM: polynomial 0x1021, initial value 0) of the key, or of its hash
 * tag (the text between the first `{` and the next `}`, when that text is not empty), modulo 16384. Algorithm and
 * hash-tag rule as in the Redis Cluster specification (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags),
 * the same computation as ioredis' `cluster-key-slot` dependency.
 */
const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

export const CLUSTER_SLOTS = 16384;

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff];
  return crc;
}

/** The part of `key` that decides its slot (its hash tag when it has a non-empty one). */
export function hashedPart(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

export function keySlot(key: string): number {
  return crc16(Buffer.from(hashedPart(key), 'utf8')) % CLUSTER_SLOTS;
}

/** Thrown before a multi-key command or script is sent whose keys would live in different cluster slots. */
export class CrossSlotKeysError extends Error {
  readonly code = 'CROSS_SLOT_KEYS';

  constructor(readonly keys: readonly string[]) {
    super(
      `keys of one script must share a Redis Cluster hash slot: ${keys.map((k) => `${k} (${keySlot(k)})`).join(', ')}`,
    );
    this.name = 'CrossSlotKeysError';
  }
}

/** Throws CrossSlotKeysError unless every key hashes to the same slot (also on a single Redis, so tests catch it). */
export function assertOneSlot(keys: readonly string[]): void {
  if (keys.length < 2) return;
  const first = keySlot(keys[0]);
  if (keys.some((key) => keySlot(key) !== first)) throw new CrossSlotKeysError(keys);
}
