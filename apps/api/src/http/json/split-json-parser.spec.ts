import {
  assembleJson,
  ChunkedBytes,
  JsonBodyError,
  JsonSplitScanner,
  parseJsonSplit,
  type SplitJsonOptions,
} from './split-json-parser.js';

const OPTIONS: SplitJsonOptions = { splitArrays: { comparisons: 100 }, maxDepth: 12, maxValuesPerPiece: 200 };
const parse = (text: string, options: SplitJsonOptions = OPTIONS) =>
  parseJsonSplit(Buffer.from(text, 'utf8'), options);

describe('parseJsonSplit', () => {
  it.each([
    '{"comparisons":[{"a":1},{"b":[1,2,{"c":"x,]}"}]},"str\\"ing",12,-3.5e2,true,null,[]],"z":{"comparisons":[1]}}',
    ' { "x" : "a\\\\" , "comparisons" : [ ] , "y" : [ {"comparisons": 2} ] } ',
    '{"comparisons":[{"essay":"é ü — 😀 \\u0000 \\ud800"}],"comparisons2":[1,2]}',
    '{}',
    '[1,2,3]',
    '"just a string"',
    '42',
    '{"__proto__":{"polluted":true},"comparisons":[{"__proto__":1}]}',
    '{"comparisons":[{"a":"ends in \\\\","b":"\\\\\\"],\\""},{"c":"\\\\\\\\"}],"k\\"":"\\""}',
    `{"comparisons":[${Array.from({ length: 40 }, (_, i) => `{"t":"${'x'.repeat(4000 + i)}\\\\\\""}`).join(',')}]}`,
  ])('returns exactly what JSON.parse returns: %s', async (text) => {
    expect(await parse(text)).toEqual(JSON.parse(text));
  });

  it('keeps __proto__ as an own key, as JSON.parse does (no prototype change)', async () => {
    const value = (await parse('{"comparisons":[{"__proto__":{"x":1}}]}')) as { comparisons: object[] };
    expect(Object.keys(value.comparisons[0])).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it.each([
    '{"comparisons":[',
    '{"comparisons":[{"a":1},]}',
    '{"comparisons":[,{"a":1}]}',
    '{"comparisons":[{"a":1} {"b":2}]}',
    '{"comparisons":[{"a":1]}',
    '{"comparisons":[1,2],}',
    '{"a":1}}',
    '{"a":"unterminated}',
  ])('refuses malformed JSON %s', async (text) => {
    await expect(parse(text)).rejects.toMatchObject({ problem: 'malformed' });
  });

  it('refuses an array over its cap naming it, before parsing any element', async () => {
    const items = Array.from({ length: 101 }, () => '{"a":1}').join(',');
    await expect(parse(`{"comparisons":[${items}]}`)).rejects.toMatchObject({
      problem: 'too_many_items',
      field: 'comparisons',
      details: { max: 100 },
    });
    // Even when a later element is not valid JSON: the count is decided by the scan alone.
    const broken = Array.from({ length: 101 }, () => '{"a":1}').join(',') + ',{oops';
    await expect(parse(`{"comparisons":[${broken}]}`)).rejects.toMatchObject({ problem: 'too_many_items' });
  });

  it('refuses nesting deeper than the limit, naming the top-level key', async () => {
    const deep = '['.repeat(20) + ']'.repeat(20);
    await expect(parse(`{"comparisons":[{"metadata":${deep}}]}`)).rejects.toMatchObject({
      problem: 'too_deep',
      field: 'comparisons',
    });
  });

  it('refuses an element or a top-level value with too many JSON values, naming it', async () => {
    const dense = `{${Array.from({ length: 150 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    await expect(parse(`{"comparisons":[{"a":1},{"metadata":${dense}}]}`)).rejects.toMatchObject({
      problem: 'too_complex',
      field: 'comparisons[1]',
    });
    await expect(parse(`{"llm_config_overrides":${dense}}`)).rejects.toMatchObject({
      problem: 'too_complex',
      field: 'llm_config_overrides',
    });
  });

  it('yields to the event loop while scanning a large body', async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => `{"comparison_id":"p${i}","x":"y"}`).join(',');
    const body = Buffer.from(`{"comparisons":[${items}]}`);
    let ranDuringParse = false;
    setImmediate(() => (ranDuringParse = true));
    const outcome = parseJsonSplit(body, { ...OPTIONS, splitArrays: { comparisons: 1_000_000 }, sliceMs: 0 });
    const value = (await outcome) as { comparisons: unknown[] };
    expect(value.comparisons).toHaveLength(20_000);
    expect(ranDuringParse).toBe(true);
  });

  it('gives the same value however the bytes are cut into chunks (strings, escapes, keys, UTF-8 across edges)', async () => {
    const text =
      '{"comparisons":[{"essay":"é ü — 😀 \\" \\\\ \\u0041"},12,-3.5e2,true,null,"x,]}"],' +
      '"comparisons_note":"c","essays":[{"t":"ü"}],"llm_config_overrides":{"a":[1,{"b":"😀"}]}}';
    const options = { ...OPTIONS, splitArrays: { comparisons: 100, essays: 10 } };
    const body = Buffer.from(text, 'utf8');
    for (const size of [1, 2, 3, 7, 64]) {
      const scanner = new JsonSplitScanner(options);
      const bytes = new ChunkedBytes();
      for (let at = 0; at < body.length; at += size) {
        const chunk = Buffer.from(body.subarray(at, at + size));
        bytes.push(chunk);
        scanner.feed(chunk);
        // As the HTTP middleware does: the elements complete so far are parsed while the rest arrives.
        if (size !== 3) scanner.parseReady(bytes);
      }
      expect(await assembleJson(bytes, scanner.finish())).toEqual(JSON.parse(text));
    }
  });

  it('gives each element its own values when long texts repeat, differ slightly, or collide in fingerprint', async () => {
    // Same length, same characters at every 16th of the length: only a full comparison tells them apart.
    const base = 'a'.repeat(320);
    const variants = Array.from(
      { length: 12 },
      (_, i) => `${base.slice(0, 7)}${'bcdefghijklm'[i]}${base.slice(8)}`,
    );
    const texts = [...variants, 'é 😀 \\" '.repeat(40), base];
    const comparisons = Array.from({ length: 90 }, (_, i) => ({
      essay_a: texts[i % texts.length],
      essay_b: texts[(i * 5 + 3) % texts.length],
      n: i,
    }));
    const text = JSON.stringify({ comparisons });
    const body = Buffer.from(text, 'utf8');
    const scanner = new JsonSplitScanner(OPTIONS);
    const bytes = new ChunkedBytes();
    for (let at = 0; at < body.length; at += 1000) {
      const chunk = body.subarray(at, at + 1000);
      bytes.push(chunk);
      scanner.feed(chunk);
      scanner.parseReady(bytes);
    }
    expect(await assembleJson(bytes, scanner.finish())).toEqual(JSON.parse(text));
  });

  it('refuses a malformed element as soon as it is complete, before the rest of the body arrives', () => {
    const scanner = new JsonSplitScanner(OPTIONS);
    const bytes = new ChunkedBytes();
    const chunk = Buffer.from('{"comparisons":[{"a":1},{"b" 2},{"c":');
    bytes.push(chunk);
    scanner.feed(chunk);
    expect(() => scanner.parseReady(bytes)).toThrow(expect.objectContaining({ problem: 'malformed' }));
  });

  it('refuses an element or the rest of the body over its byte limit while scanning, naming it', async () => {
    const big = 'x'.repeat(300);
    await expect(
      parse(`{"comparisons":[{"a":"x"},{"a":"${big}"}]}`, { ...OPTIONS, maxElementBytes: 200 }),
    ).rejects.toMatchObject({ problem: 'too_large', field: 'comparisons[1]', details: { max_bytes: 200 } });
    await expect(
      parse(`{"comparisons":[{"a":"${big}"}],"user_prompt":"${big}"}`, { ...OPTIONS, maxRestBytes: 200 }),
    ).rejects.toMatchObject({ problem: 'too_large', field: 'user_prompt' });
    // The split array's elements do not count against the rest.
    const value = await parse(`{"comparisons":[{"a":"${big}"}],"user_prompt":"p"}`, {
      ...OPTIONS,
      maxRestBytes: 200,
    });
    expect(value).toEqual({ comparisons: [{ a: big }], user_prompt: 'p' });
  });

  it('refuses an over-cap array at the element that goes over, before the rest of the body arrives', () => {
    const scanner = new JsonSplitScanner(OPTIONS);
    const items = Array.from({ length: 101 }, () => '{"a":1}').join(',');
    expect(() => scanner.feed(Buffer.from(`{"comparisons":[${items}`))).toThrow(
      expect.objectContaining({ problem: 'too_many_items', field: 'comparisons' }),
    );
  });

  it('is an Error with a stable problem code', () => {
    const err = new JsonBodyError('malformed', 'x');
    expect(err).toBeInstanceOf(Error);
    expect(err.problem).toBe('malformed');
  });
});
