import { randomUUID } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Provider input files (OpenAI's batch JSONL, Gemini's JSONL, Anthropic's create body) are built line by line and never held as one string
 * or buffer: a 100,000-comparison assessment makes ~700 MB of JSONL, over V8's ~512 MB string limit, and even
 * one 200 MB OpenAI part would cost its size twice over (string + Buffer) in the worker. Lines are serialised one
 * at a time and packed into chunks of at most `chunkBytes`; a chunk goes to a temporary file before the next is
 * built, and the upload reads that file back as a disk-backed Blob (`fs.openAsBlob`), streamed by fetch.
 */
export const JSONL_CHUNK_BYTES = 1 << 20;

/**
 * How serialised lines are joined into one file: JSONL (each line ends in `\n`), or one JSON document such as
 * Anthropic's batch create body, `{"requests":[line,line,…]}` (`head`, lines joined by `separator`, `tail`).
 */
export interface LineFraming {
  head: string;
  separator: string;
  tail: string;
  /** Whether `separator` also ends the last line (JSONL's `\n`) or only goes between lines (JSON's `,`). */
  terminated: boolean;
}

export const JSONL_FRAMING: LineFraming = { head: '', separator: '\n', tail: '', terminated: true };

/** `{"<key>":[line,…]}`: a JSON body whose one array holds the lines. */
export function jsonArrayFraming(key: string): LineFraming {
  return { head: `{${JSON.stringify(key)}:[`, separator: ',', tail: ']}', terminated: false };
}

/**
 * The bytes of `lines` in chunks: each chunk is whole lines (with their separators) and at most `chunkBytes`
 * long, except a single line longer than `chunkBytes`, which is a chunk of its own. The framing's head opens the
 * first chunk and its tail closes the last.
 */
export function* jsonlChunks(
  lines: Iterable<unknown>,
  chunkBytes = JSONL_CHUNK_BYTES,
  framing: LineFraming = JSONL_FRAMING,
): Generator<Buffer> {
  let pending: string[] = framing.head ? [framing.head] : [];
  let pendingBytes = Buffer.byteLength(framing.head, 'utf8');
  let first = true;
  for (const line of lines) {
    const json = JSON.stringify(line);
    const text = framing.terminated ? json + framing.separator : first ? json : framing.separator + json;
    first = false;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (pendingBytes > 0 && pendingBytes + bytes > chunkBytes) {
      yield Buffer.from(pending.join(''), 'utf8');
      pending = [];
      pendingBytes = 0;
    }
    pending.push(text);
    pendingBytes += bytes;
  }
  if (framing.tail) {
    pending.push(framing.tail);
    pendingBytes += Buffer.byteLength(framing.tail, 'utf8');
  }
  if (pendingBytes > 0) yield Buffer.from(pending.join(''), 'utf8');
}

/** A JSONL file on disk, written chunk by chunk; `remove` deletes it (call it in a finally). */
export interface JsonlFile {
  path: string;
  bytes: number;
  lines: number;
  /** Largest chunk held in memory while the file was written. */
  largestChunkBytes: number;
  /** A Blob backed by the file (nothing read into memory until a consumer streams it). */
  blob(type?: string): Promise<Blob>;
  remove(): Promise<void>;
}

export interface JsonlFileOptions {
  /** Directory of the temporary file (default: the OS temp directory, TMPDIR). */
  dir?: string;
  /** Recognisable part of the file name. */
  name?: string;
  chunkBytes?: number;
  /** How the lines are joined (default JSONL). */
  framing?: LineFraming;
}

/** Writes `lines` as JSONL (or in `options.framing`) to a new temporary file, one bounded chunk at a time. */
export async function writeJsonlFile(
  lines: Iterable<unknown>,
  options: JsonlFileOptions = {},
): Promise<JsonlFile> {
  const safeName = (options.name ?? 'batch').replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 80);
  const extension = (options.framing ?? JSONL_FRAMING).terminated ? 'jsonl' : 'json';
  const path = join(options.dir ?? tmpdir(), `llm-batch-${safeName}-${randomUUID()}.${extension}`);
  let bytes = 0;
  let count = 0;
  let largestChunkBytes = 0;
  const counted = (function* () {
    for (const line of lines) {
      count += 1;
      yield line;
    }
  })();
  const handle = await open(path, 'w', 0o600);
  try {
    for (const chunk of jsonlChunks(counted, options.chunkBytes, options.framing)) {
      await handle.write(chunk);
      bytes += chunk.length;
      largestChunkBytes = Math.max(largestChunkBytes, chunk.length);
    }
  } catch (err) {
    await handle.close();
    await rm(path, { force: true });
    throw err;
  }
  await handle.close();
  return {
    path,
    bytes,
    lines: count,
    largestChunkBytes,
    blob: (type = 'application/jsonl') => openAsBlob(path, { type }),
    remove: () => rm(path, { force: true }),
  };
}

/**
 * The lines of a JSONL body delivered in chunks of any size (a results file streamed from the provider): UTF-8
 * is decoded across chunk boundaries, blank lines are skipped, and only the current unfinished line is held
 * between chunks. `maxLineChars` bounds that line, so a body without newlines cannot grow it without limit.
 */
export async function* jsonlLines(
  body: AsyncIterable<Uint8Array | string>,
  maxLineChars = 64 * 1024 * 1024,
): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  for await (const chunk of body) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline = rest.indexOf('\n');
    let start = 0;
    while (newline !== -1) {
      const line = rest.slice(start, newline);
      if (line.trim() !== '') yield line;
      start = newline + 1;
      newline = rest.indexOf('\n', start);
    }
    rest = rest.slice(start);
    if (rest.length > maxLineChars)
      throw new RangeError(`a JSONL line is longer than ${maxLineChars} characters`);
  }
  rest += decoder.decode();
  if (rest.trim() !== '') yield rest;
}
