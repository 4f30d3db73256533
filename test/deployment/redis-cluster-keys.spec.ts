import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keySlot } from '#infra';
import { assessmentKey, assessmentUploadKey, submissionKey } from '#assessment-store';
import { BatchKeys } from '#batch-store';

/**
 * Redis Cluster readiness, checked on the sources: every Lua script of the platform goes through LuaScript (which
 * refuses KEYS of different slots at run time), and no script builds a key (every key argument is KEYS[n]).
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

const files = [...sources(join(ROOT, 'apps')), ...sources(join(ROOT, 'libs'))].map((path) => ({
  path: relative(ROOT, path),
  text: readFileSync(path, 'utf8'),
}));

/** The Lua source of every `new LuaScript(`...`)` in the sources. */
function scripts(): Array<{ where: string; lua: string }> {
  const found: Array<{ where: string; lua: string }> = [];
  for (const file of files) {
    for (const match of file.text.matchAll(/new LuaScript\(\s*`([^`]*)`/g)) {
      found.push({
        where: `${file.path}:${file.text.slice(0, match.index).split('\n').length}`,
        lua: match[1],
      });
    }
  }
  return found;
}

/** Arguments of every redis.call/pcall in a Lua source (split at top-level commas). */
function calls(lua: string): string[][] {
  const result: string[][] = [];
  for (const match of lua.matchAll(/redis\.p?call\(/g)) {
    let depth = 1;
    let i = match.index + match[0].length;
    let current = '';
    const args: string[] = [];
    let quote: string | null = null;
    for (; i < lua.length && depth > 0; i++) {
      const c = lua[i];
      if (quote) {
        if (c === quote) quote = null;
        current += c;
        continue;
      }
      if (c === "'" || c === '"') quote = c;
      if (c === '(' || c === '{') depth++;
      if (c === ')' || c === '}') depth--;
      if (depth === 0) break;
      if (c === ',' && depth === 1) {
        args.push(current.trim());
        current = '';
      } else current += c;
    }
    args.push(current.trim());
    result.push(args);
  }
  return result;
}

/** Commands whose arguments are all keys; every other command's first argument is its key. */
const ALL_KEYS = new Set(['DEL', 'UNLINK', 'EXISTS', 'RENAME', 'RENAMENX', 'MGET', 'TOUCH', 'WATCH']);
/** Commands without a key (the channel of PUBLISH is no key: it reaches every node of a cluster). */
const KEYLESS = new Set(['PUBLISH', 'TIME', 'PING']);

function keyProblems(args: string[]): string[] {
  const command = args[0].replace(/['"]/g, '').toUpperCase();
  if (KEYLESS.has(command)) return [];
  const keyArgs = ALL_KEYS.has(command) ? args.slice(1) : args.slice(1, 2);
  return keyArgs
    .filter((arg) => !/^KEYS\[[\w +-]+\]$/.test(arg))
    .map((arg) => `${command} key argument \`${arg}\` is not KEYS[n]`);
}

describe('Redis Cluster readiness of the Lua scripts', () => {
  const all = scripts();

  it('finds the scripts of every store', () => {
    expect(all.length).toBeGreaterThanOrEqual(20);
    for (const lib of ['batch-store', 'assessment-store', 'apps/batch-worker']) {
      expect(all.some((s) => s.where.includes(lib))).toBe(true);
    }
  });

  it('never builds a key inside Lua: every key argument is KEYS[n]', () => {
    const problems = all.flatMap((s) =>
      calls(s.lua).flatMap((args) => keyProblems(args).map((p) => `${s.where}: ${p}`)),
    );
    expect(problems).toEqual([]);
  });

  it('catches a script that builds a key', () => {
    const bad = `local id = redis.call('GET', KEYS[1])\nredis.call('HGET', 'p:batch:{' .. id .. '}', 'x')\nredis.call('DEL', KEYS[1], ARGV[2])`;
    expect(calls(bad).flatMap(keyProblems)).toEqual([
      "HGET key argument `'p:batch:{' .. id .. '}'` is not KEYS[n]",
      'DEL key argument `ARGV[2]` is not KEYS[n]',
    ]);
  });

  it('runs every script through LuaScript (its run() checks that all KEYS share one slot)', () => {
    const direct = files
      .filter((f) => !f.path.endsWith('redis/lua-script.ts'))
      .filter((f) => /\.(eval|evalsha|evalRo|defineCommand)\(/.test(f.text))
      .map((f) => f.path);
    expect(direct).toEqual([]);
  });
});

describe('Redis Cluster key layout', () => {
  it('puts every key of one batch in one slot', () => {
    const keys = new BatchKeys('lbs');
    const id = 'b4d0c3a0-0000-4000-8000-000000000001';
    const own = [
      keys.record(id),
      keys.requests(id),
      keys.results(id),
      keys.essays(id),
      keys.essaysStaging(id),
      keys.staging(id),
      keys.outbox(id),
      keys.outboxLock(id),
      keys.deadLetter(id),
    ];
    expect(new Set(own.map(keySlot)).size).toBe(1);
  });

  it('puts every key of one assessment in one slot', () => {
    const id = 'assessment-1';
    const own = [
      assessmentKey(id),
      assessmentKey(id, ':essays'),
      assessmentKey(id, ':results:x'),
      submissionKey(id),
    ];
    expect(new Set(own.map(keySlot)).size).toBe(1);
  });

  it('puts every key of one assessment upload in one slot', () => {
    const id = 'b4d0c3a0-0000-4000-8000-000000000002';
    const own = [
      assessmentUploadKey(id),
      assessmentUploadKey(id, ':parts'),
      assessmentUploadKey(id, ':essay_ids'),
    ];
    expect(new Set(own.map(keySlot)).size).toBe(1);
  });
});
