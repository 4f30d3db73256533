import { describe, expect, it } from '@jest/globals';
import { readFile, stat } from 'node:fs/promises';
import { jsonArrayFraming, jsonlChunks, jsonlLines, writeJsonlFile } from './jsonl-file.js';

const lines = (n: number, size = 100) =>
  Array.from({ length: n }, (_, i) => ({ i, text: `é€${'x'.repeat(size)}` }));

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

/** `text` as bytes in pieces of `size` (multi-byte characters cut in the middle). */
async function* pieces(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('jsonlChunks', () => {
  it('yields whole lines in chunks of at most chunkBytes', () => {
    const input = lines(1_000);
    const chunks = [...jsonlChunks(input, 4_096)];
    expect(chunks.length).toBeGreaterThan(20);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(4_096);
      expect(chunk.toString('utf8').endsWith('\n')).toBe(true);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toBe(input.map((l) => JSON.stringify(l) + '\n').join(''));
  });

  it('gives a line longer than chunkBytes a chunk of its own', () => {
    const chunks = [...jsonlChunks([{ a: 1 }, { big: 'y'.repeat(5_000) }, { b: 2 }], 1_000)];
    expect(chunks.map((c) => c.length > 1_000)).toEqual([false, true, false]);
  });

  it('builds lazily: a line is serialised only when its chunk is asked for', () => {
    let produced = 0;
    const source = (function* () {
      for (let i = 0; i < 10_000; i += 1) {
        produced += 1;
        yield { i, pad: 'z'.repeat(200) };
      }
    })();
    const iterator = jsonlChunks(source, 2_048);
    iterator.next();
    expect(produced).toBeLessThan(20);
  });
});

describe('jsonlChunks with a JSON array framing (one JSON body)', () => {
  it('joins the lines into one parseable document, each chunk bounded', () => {
    const input = lines(1_000);
    const chunks = [...jsonlChunks(input, 4_096, jsonArrayFraming('requests'))];
    expect(chunks.length).toBeGreaterThan(20);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(4_096);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toBe(JSON.stringify({ requests: input }));
  });

  it('frames zero and one line as valid JSON', () => {
    const framing = jsonArrayFraming('requests');
    expect(Buffer.concat([...jsonlChunks([], 64, framing)]).toString('utf8')).toBe('{"requests":[]}');
    expect(JSON.parse(Buffer.concat([...jsonlChunks([{ a: 1 }], 4, framing)]).toString('utf8'))).toEqual({
      requests: [{ a: 1 }],
    });
  });
});

describe('writeJsonlFile', () => {
  it('writes the lines to a temporary file chunk by chunk and removes it', async () => {
    const input = lines(2_000, 500);
    const file = await writeJsonlFile(input, { name: 'spec part/1', chunkBytes: 64 * 1024 });
    try {
      expect(file.lines).toBe(2_000);
      expect(file.largestChunkBytes).toBeLessThanOrEqual(64 * 1024);
      expect((await stat(file.path)).size).toBe(file.bytes);
      expect(file.bytes).toBeGreaterThan(1_000_000);
      const blob = await file.blob();
      expect(blob.size).toBe(file.bytes);
      expect(await readFile(file.path, 'utf8')).toBe(input.map((l) => JSON.stringify(l) + '\n').join(''));
    } finally {
      await file.remove();
    }
    await expect(stat(file.path)).rejects.toThrow();
  });
});

describe('jsonlLines', () => {
  it('reads a body delivered in 1-byte and 7-byte pieces line by line, UTF-8 intact', async () => {
    const input = lines(50, 30);
    const text = input.map((l) => JSON.stringify(l)).join('\n') + '\n\n';
    for (const size of [1, 7, 4_096]) {
      const read = await collect(jsonlLines(pieces(text, size)));
      expect(read.map((l) => JSON.parse(l) as unknown)).toEqual(input);
    }
  });

  it('keeps a last line without a newline and skips blank lines', async () => {
    expect(await collect(jsonlLines(pieces('{"a":1}\n \n{"b":2}', 3)))).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('refuses a line longer than maxLineChars instead of growing without bound', async () => {
    await expect(collect(jsonlLines(pieces('x'.repeat(10_000), 100), 1_000))).rejects.toThrow(RangeError);
  });
});
