import { afterAll, describe, expect, it } from '@jest/globals';
import {
  finishedFromPayload,
  IdempotencyConflictError,
  parseTerminalMessage,
  type OutboxMessage,
  type StoredResult,
  completedEvent,
} from '#batch-store';
import { createEnvelope, type LLMBatchCompletedV1 } from '#contracts';
import { toBatchStatus } from '../../../apps/api/src/comparison/batch-view.js';
import { makeBatch, makeRequests } from './support/batch-factory.js';
import { storeHarness } from './support/store-harness.js';

const h = storeHarness(120);

function result(index: number, ok = true, cost: number | null = 0.001): StoredResult {
  return {
    index,
    comparison_id: `c-${index}`,
    individual_cost_usd: ok ? (cost === null ? null : cost * 2) : 0,
    result: {
      request_id: `c-${index}`,
      correlation_id: 'corr',
      ...(ok
        ? { winner: 'Essay A' as const, justification: 'because', confidence: 4 }
        : {
            error_detail: {
              error_code: 'TIMEOUT' as const,
              message: 'slow',
              correlation_id: 'corr',
              timestamp: new Date().toISOString(),
              service: 's',
              operation: 'o',
            },
          }),
      provider: 'mock',
      model: 'm',
      response_time_ms: 1,
      token_usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      cost_estimate: ok ? cost : 0,
      requested_at: new Date().toISOString(),
      completed_at: new Date().toISOString(),
      request_metadata: {},
    },
  };
}

function event(id: string): OutboxMessage {
  return {
    topic: 't',
    key: 'k',
    envelope: createEnvelope({ event_type: 'X', source_service: 's', correlation_id: id, data: {} }),
  };
}

afterAll(() => h.cleanup());

describe('BatchRepository.create', () => {
  it('stores the record and the requests in input order', async () => {
    // More than one read page of getRequests (2,000), so the paging is exercised.
    const requests = makeRequests(4_100);
    const { batch, created } = await h.repo.create(makeBatch(requests), requests);
    expect(created).toBe(true);
    expect(batch.status).toBe('queued');
    expect(batch.counts).toEqual({ succeeded: 0, failed: 0, pending: 4_100 });
    const stored = await h.repo.getRequests(batch.batch_id);
    expect(stored.map((r) => r.comparison_id)).toEqual(requests.map((r) => r.comparison_id));
    expect(stored[7]).toEqual({ ...requests[7], index: 7 });
    expect(await h.repo.listActive()).toContain(batch.batch_id);
  });

  it('returns the existing batch for the same idempotency key and body, concurrently too', async () => {
    const requests = makeRequests(5);
    const attempts = await Promise.all(
      Array.from({ length: 8 }, () =>
        h.repo.create(makeBatch(requests, { idempotency_key: 'idem-same' }), requests),
      ),
    );
    expect(attempts.filter((a) => a.created)).toHaveLength(1);
    expect(new Set(attempts.map((a) => a.batch.batch_id)).size).toBe(1);
    const keys = await h.redis.keys(`${h.options.keyPrefix}:batch:*:requests`);
    const owners = keys.filter((k) => attempts.some((a) => k.includes(a.batch.batch_id)));
    expect(owners).toHaveLength(1);
    expect(await h.redis.keys(`${h.options.keyPrefix}:batch:*:staging`)).toEqual([]);
  });

  it('rejects the same idempotency key with another body, storing nothing', async () => {
    const first = makeRequests(2);
    await h.repo.create(makeBatch(first, { idempotency_key: 'idem-diff' }), first);
    const other = makeRequests(3);
    const rejected = makeBatch(other, { idempotency_key: 'idem-diff' });
    await expect(h.repo.create(rejected, other)).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect(await h.repo.get(rejected.batch_id)).toBeNull();
    expect(await h.repo.getRequests(rejected.batch_id)).toEqual([]);
  });
});

describe('BatchRepository.transition', () => {
  it('lets exactly one of many concurrent identical transitions through, with its events once', async () => {
    const requests = makeRequests(1);
    const { batch } = await h.repo.create(makeBatch(requests), requests);
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        h.repo.transition(batch.batch_id, ['queued'], 'submitted', { submitted_at: `t${i}` }, [
          event(`e${i}`),
        ]),
      ),
    );
    expect(outcomes.filter((o) => o !== null)).toHaveLength(1);
    expect(await h.outbox.size(batch.batch_id)).toBe(1);
    expect((await h.repo.get(batch.batch_id))?.status).toBe('submitted');
    expect(await h.repo.transition(batch.batch_id, ['queued'], 'in_progress')).toBeNull();
  });

  it('does not lose a provider ref written concurrently with a status change', async () => {
    const requests = makeRequests(1);
    const { batch } = await h.repo.create(makeBatch(requests), requests);
    const ref = {
      provider: 'mock' as const,
      model: 'm',
      batch_key: batch.batch_id,
      part_count: 1,
      parts: [{ part_index: 0, provider_batch_id: 'pb-1', comparison_ids: ['c-0'] }],
      submitted_at: new Date().toISOString(),
    };
    await Promise.all([
      h.repo.saveProviderRef(batch.batch_id, ref),
      h.repo.transition(batch.batch_id, ['queued'], 'submitted'),
    ]);
    const after = await h.repo.get(batch.batch_id);
    expect(after?.status).toBe('submitted');
    expect(after?.provider_ref).toEqual(ref);
  });

  it('starts the retention clock on every key once terminal and leaves the active set', async () => {
    const requests = makeRequests(2);
    const { batch } = await h.repo.create(makeBatch(requests), requests);
    await h.repo.storeResults(batch.batch_id, [result(0)]);
    expect(await h.redis.ttl(h.repo.keys.record(batch.batch_id))).toBe(-1);
    await h.repo.transition(batch.batch_id, ['queued'], 'completed');
    for (const key of [h.repo.keys.record, h.repo.keys.requests, h.repo.keys.results]) {
      const ttl = await h.redis.ttl(key.call(h.repo.keys, batch.batch_id));
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
    }
    expect(await h.repo.listActive()).not.toContain(batch.batch_id);
    await expect(h.repo.storeResults(batch.batch_id, [result(1)])).rejects.toThrow(/terminal/);
  });
});

describe('BatchRepository in the essay-referencing form', () => {
  it('stores each essay once and resolves comparisons by id, in input order; retention covers the essays', async () => {
    const essays = Array.from({ length: 600 }, (_, i) => ({
      essay_id: `e-${i}`,
      text: `essay ${i} `.repeat(300),
    }));
    const comparisons = Array.from({ length: 3000 }, (_, i) => ({
      comparison_id: `c-${i}`,
      essay_a_id: `e-${i % 600}`,
      essay_b_id: `e-${(i * 7 + 1) % 600}`,
      metadata: { pair_index: i },
    }));
    const content = { user_prompt: 'Which essay argues better?', essays, comparisons };
    const record = makeBatch([], { comparison_count: comparisons.length });
    const { batch, created } = await h.repo.create(record, content);
    expect(created).toBe(true);
    expect(await h.redis.hlen(h.repo.keys.essays(batch.batch_id))).toBe(600);
    const stored = await h.repo.getRequests(batch.batch_id);
    expect(stored).toHaveLength(3000);
    expect(stored[1234]).toEqual({
      comparison_id: 'c-1234',
      user_prompt: 'Which essay argues better?',
      essay_a: essays[1234 % 600].text,
      essay_b: essays[(1234 * 7 + 1) % 600].text,
      metadata: { pair_index: 1234 },
      index: 1234,
    });
    // Far smaller than the inline form would be (each comparison carrying two ~3 KB essays).
    const requestBytes = Number(await h.redis.memory('USAGE', h.repo.keys.requests(batch.batch_id)));
    expect(requestBytes).toBeLessThan(3000 * 200);
    await h.repo.transition(batch.batch_id, ['queued'], 'completed');
    expect(await h.redis.ttl(h.repo.keys.essays(batch.batch_id))).toBeGreaterThan(100);
  });
});

describe('BatchRepository with an inline batch', () => {
  it('stores each distinct essay text once and gives back exactly the comparisons sent', async () => {
    const texts = ['ä "quoted" \\ one 😀 '.repeat(30), 'two '.repeat(200), 'two '.repeat(199) + 'two  ', 'x'];
    const requests = Array.from({ length: 1_000 }, (_, i) => ({
      comparison_id: `c-${i}`,
      user_prompt: 'Which essay argues better?',
      essay_a: texts[i % 4],
      essay_b: texts[(i * 3 + 1) % 4],
      ...(i % 5 === 0 ? {} : { metadata: { pair_index: i, nested: { note: null } } }),
    }));
    const { batch } = await h.repo.create(makeBatch(requests), requests);
    expect(await h.redis.hlen(h.repo.keys.essays(batch.batch_id))).toBe(4);
    expect(await h.repo.getRequests(batch.batch_id)).toEqual(requests.map((r, index) => ({ ...r, index })));
    const requestBytes = Number(await h.redis.memory('USAGE', h.repo.keys.requests(batch.batch_id)));
    expect(requestBytes).toBeLessThan(1_000 * 200);
  });

  it('keeps comparisons with differing prompts inline, each as sent', async () => {
    const requests = makeRequests(40).map((r, i) => ({ ...r, user_prompt: `prompt ${i % 2}` }));
    const { batch } = await h.repo.create(makeBatch(requests), requests);
    expect(await h.redis.exists(h.repo.keys.essays(batch.batch_id))).toBe(0);
    expect(await h.repo.getRequests(batch.batch_id)).toEqual(requests.map((r, index) => ({ ...r, index })));
  });
});

describe('BatchRepository.storeResults', () => {
  it('stores each index once, keeps counts and costs right and enqueues each event once', async () => {
    const requests = makeRequests(4);
    const { batch } = await h.repo.create(makeBatch(requests), requests);
    const id = batch.batch_id;
    const items = [result(2), result(0), result(1, false)];
    const events = items.map((_, i) => event(`r${i}`));
    await Promise.all([h.repo.storeResults(id, items, events), h.repo.storeResults(id, items, events)]);
    expect(await h.repo.storeResults(id, items, events)).toBe(0);
    const after = await h.repo.get(id);
    expect(after?.counts).toEqual({ succeeded: 2, failed: 1, pending: 1 });
    expect(after?.cost_usd).toBeCloseTo(0.002, 10);
    expect(after?.individual_cost_usd).toBeCloseTo(0.004, 10);
    expect(await h.outbox.size(id)).toBe(3);
    const page = await h.repo.getResults(id, 0, 10);
    expect(page.map((r) => r.index)).toEqual([0, 1, 2]);
    expect((await h.repo.getResults(id, 1, 1)).map((r) => r.comparison_id)).toEqual(['c-1']);
    expect(await h.repo.storedIndexes(id)).toEqual(new Set([0, 1, 2]));
  });

  it('reports the cost as unknown (null), never 0, once a result of an unpriced model is stored', async () => {
    const requests = makeRequests(3);
    const { batch } = await h.repo.create(makeBatch(requests), requests);
    const id = batch.batch_id;
    await h.repo.storeResults(id, [result(0, false)]);
    expect((await h.repo.get(id))?.cost_usd).toBe(0); // a failed item costs nothing: known
    await h.repo.storeResults(id, [result(1, true, null), result(2)]);
    const after = await h.repo.get(id);
    expect(after?.counts).toEqual({ succeeded: 2, failed: 1, pending: 0 });
    expect(after?.cost_usd).toBeNull();
    expect(after?.individual_cost_usd).toBeNull();
    // ...and so wherever the batch's cost is reported: the completion event and GET /comparison/batch/{id}.
    const event = completedEvent(after!, 'completed', new Date()).envelope.data as LLMBatchCompletedV1;
    expect(event).toMatchObject({ cost_usd: null, individual_cost_usd: null });
    expect(toBatchStatus(after!)).toMatchObject({
      cost_usd: null,
      individual_cost_usd: null,
      estimated_savings_usd: null,
    });
  });

  it('handles thousands of results in one call', async () => {
    const requests = makeRequests(2500);
    const { batch } = await h.repo.create(makeBatch(requests), requests);
    const items = requests.map((_, i) => result(i));
    expect(await h.repo.storeResults(batch.batch_id, items)).toBe(2500);
    expect((await h.repo.get(batch.batch_id))?.counts.pending).toBe(0);
    const last = await h.repo.getResults(batch.batch_id, 2490, 100);
    expect(last.map((r) => r.index)).toEqual(Array.from({ length: 10 }, (_, i) => 2490 + i));
  });
});

describe('BatchRepository.finishWithResult', () => {
  const start = async (tenant?: string) => {
    const requests = makeRequests(1);
    const { batch } = await h.repo.create(
      makeBatch(requests, { kind: 'single', mode: 'individual', ...(tenant ? { tenant_id: tenant } : {}) }),
      requests,
    );
    if (tenant) await h.repo.tenantLoad.acquire(tenant, batch.batch_id, 1, 10);
    const known = await h.repo.transitionKnown(
      (await h.repo.getVersioned(batch.batch_id))!,
      ['queued'],
      () => ({ to: 'in_progress' }),
    );
    return known!;
  };

  it('stores the result with its event, ends the batch and publishes both the record and the result', async () => {
    const known = await start('tenant-fwr');
    const id = known.record.batch_id;
    const subscriber = h.redis.duplicate();
    const message = new Promise<string>((resolve) => subscriber.on('message', (_c, m: string) => resolve(m)));
    await subscriber.subscribe(h.repo.keys.terminalChannel());
    const stored = result(0);
    const done = await h.repo.finishWithResult(known, stored, event('r0'), 'completed', {
      completed_at: new Date().toISOString(),
    });
    expect(done).toMatchObject({ status: 'completed', counts: { succeeded: 1, failed: 0, pending: 0 } });
    const read = await h.repo.get(id);
    expect(read).toMatchObject({ status: 'completed', counts: { succeeded: 1, failed: 0, pending: 0 } });
    expect(read?.cost_usd).toBeCloseTo(0.001, 10);
    expect(await h.repo.getResults(id, 0, 1)).toEqual([stored]);
    expect(await h.outbox.size(id)).toBe(1);
    expect(await h.redis.sismember(h.repo.keys.outboxPending(), id)).toBe(1);
    expect(await h.repo.listActive()).not.toContain(id);
    expect(await h.repo.tenantLoad.holders('tenant-fwr')).toEqual([]);
    expect(await h.redis.ttl(h.repo.keys.results(id))).toBeGreaterThan(100);
    const { batchId, payload } = parseTerminalMessage(await message);
    await subscriber.quit();
    expect(batchId).toBe(id);
    const carried = finishedFromPayload(payload, 1);
    expect(carried?.record).toEqual(read);
    expect(carried?.results).toEqual([stored]);
  });

  it('writes nothing when the result was stored or the record written since the run read it', async () => {
    const known = await start();
    const id = known.record.batch_id;
    await h.repo.storeResults(id, [result(0, false)]);
    expect(await h.repo.finishWithResult(known, result(0), null, 'completed', {})).toBeNull();
    expect(await h.repo.get(id)).toMatchObject({
      status: 'in_progress',
      counts: { succeeded: 0, failed: 1 },
    });

    const other = await start();
    await h.repo.saveProviderRef(other.record.batch_id, { parts: [], part_count: 1 } as never);
    expect(await h.repo.finishWithResult(other, result(0), null, 'completed', {})).toBeNull();
    expect(await h.repo.getResults(other.record.batch_id, 0, 1)).toEqual([]);
    expect((await h.repo.get(other.record.batch_id))?.status).toBe('in_progress');
  });
});

describe('TenantLoadStore request counter', () => {
  it('counts the requests of one second under a key that expires, and starts again the next second', async () => {
    const now = 1_800_000_000_000;
    const counts = await Promise.all([1, 2, 3].map(() => h.repo.tenantLoad.hit('tenant-hit', now)));
    expect(counts.sort()).toEqual([1, 2, 3]);
    const key = `${h.options.keyPrefix}:rate:{tenant-hit}:${Math.floor(now / 1000)}`;
    const ttl = await h.redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2);
    expect(await h.repo.tenantLoad.hit('tenant-hit', now + 1000)).toBe(1);
  });

  it('hitAndAcquire counts the request and takes its allowance in one script; over the rate it takes nothing', async () => {
    const load = h.repo.tenantLoad;
    const now = 1_800_000_001_000;
    const hold = (batchId: string) => ({ batchId, comparisons: 1, limit: 2 });
    expect(await load.hitAndAcquire('tenant-hna', now, 3, hold('b-1'))).toEqual({
      requests: 1,
      acquired: true,
      total: 1,
    });
    expect(await load.hitAndAcquire('tenant-hna', now, 3, hold('b-2'))).toEqual({
      requests: 2,
      acquired: true,
      total: 2,
    });
    // No room in flight: counted, nothing taken.
    expect(await load.hitAndAcquire('tenant-hna', now, 3, hold('b-3'))).toEqual({
      requests: 3,
      acquired: false,
      total: 2,
    });
    await load.release('tenant-hna', 'b-1');
    // Over the per-second rate: nothing taken although there is room again.
    expect(await load.hitAndAcquire('tenant-hna', now, 3, hold('b-4'))).toMatchObject({
      requests: 4,
      acquired: false,
    });
    expect(await load.holders('tenant-hna')).toEqual(['b-2']);
    const rateKey = `${h.options.keyPrefix}:rate:{tenant-hna}:${Math.floor(now / 1000)}`;
    expect(await h.redis.ttl(rateKey)).toBeGreaterThan(0);
    // A new second counts afresh.
    expect(await load.hitAndAcquire('tenant-hna', now + 1000, 3, hold('b-4'))).toEqual({
      requests: 1,
      acquired: true,
      total: 2,
    });
  });
});

describe('cancel and outbox', () => {
  it('records a cancel request only while the batch is active', async () => {
    const requests = makeRequests(1);
    const { batch } = await h.repo.create(makeBatch(requests), requests);
    expect((await h.repo.requestCancel(batch.batch_id))?.cancel_requested).toBe(true);
    expect(await h.repo.isCancelRequested(batch.batch_id)).toBe(true);
    expect(await h.repo.requestCancel('no-such-batch')).toBeNull();
    const other = await h.repo.create(makeBatch(requests), requests);
    await h.repo.transition(other.batch.batch_id, ['queued'], 'completed');
    expect((await h.repo.requestCancel(other.batch.batch_id))?.cancel_requested).toBe(false);
  });

  it('acks published messages by identity under the fencing token and clears the pending mark when empty', async () => {
    const requests = makeRequests(3);
    const { batch } = await h.repo.create(makeBatch(requests), requests);
    const id = batch.batch_id;
    await h.repo.storeResults(id, [result(0), result(1), result(2)], [event('a'), event('b'), event('c')]);
    expect(await h.outbox.pendingBatchIds()).toContain(id);
    const token = await h.outbox.tryLock(id, 5000);
    expect(token).not.toBeNull();
    expect(await h.outbox.tryLock(id, 5000)).toBeNull();
    const head = await h.outbox.peekEntries(id, 2);
    expect(head.map((e) => e.message.envelope.correlation_id)).toEqual(['a', 'b']);
    // Another worker's token, or a head that no longer starts with what was sent, removes nothing.
    expect(await h.outbox.ack(id, 'someone-else', head)).toEqual({ refused: 'lock_lost' });
    expect(await h.outbox.ack(id, token!, [head[1]])).toEqual({ refused: 'head_changed' });
    expect(await h.outbox.size(id)).toBe(3);
    expect(await h.outbox.ack(id, token!, head)).toEqual({ remaining: 1 });
    expect(await h.outbox.ack(id, token!, head)).toEqual({ refused: 'head_changed' });
    const [last] = await h.outbox.peekEntries(id, 10);
    expect(last.message.envelope.correlation_id).toBe('c');
    expect(await h.outbox.renewLock(id, token!, 5000)).toBe(true);
    await h.outbox.unlock(id, 'someone-else');
    expect(await h.outbox.tryLock(id, 5000)).toBeNull();
    // The ack that empties the outbox ends the drain: it releases the lock in the same step.
    expect(await h.outbox.ack(id, token!, [last])).toEqual({ remaining: 0 });
    expect(await h.outbox.pendingBatchIds()).not.toContain(id);
    expect(await h.outbox.renewLock(id, token!, 5000)).toBe(false);
    expect(await h.outbox.tryLock(id, 5000)).not.toBeNull();
  });

  it('takes the lock and reads the head in one step; refuses while another drain holds it', async () => {
    const requests = makeRequests(3);
    const { batch } = await h.repo.create(makeBatch(requests), requests);
    const id = batch.batch_id;
    expect(await h.outbox.lockAndPeek(id, 5000, 10)).toEqual({ token: expect.any(String), entries: [] });
    expect(await h.outbox.lockAndPeek(id, 5000, 10)).toBeNull();
    await h.redis.del(h.repo.keys.outboxLock(id));
    await h.repo.storeResults(id, [result(0), result(1), result(2)], [event('a'), event('b'), event('c')]);
    const locked = (await h.outbox.lockAndPeek(id, 5000, 2))!;
    expect(locked.entries.map((e) => e.message.envelope.correlation_id)).toEqual(['a', 'b']);
    expect(await h.outbox.tryLock(id, 5000)).toBeNull();
    expect(await h.outbox.ack(id, locked.token, locked.entries)).toEqual({ remaining: 1 });
    expect(await h.outbox.renewLock(id, locked.token, 5000)).toBe(true);
  });

  it('clears the pending mark only of an outbox seen empty after the removal', async () => {
    const requests = makeRequests(1);
    const { batch } = await h.repo.create(makeBatch(requests), requests);
    const id = batch.batch_id;
    await h.repo.storeResults(id, [result(0)], [event('a')]);
    // An append that landed after the emptying ack: the mark stays (its own SADD may come after the removal).
    expect(await h.outbox.unmarkIfEmpty(id)).toBe(false);
    expect(await h.outbox.pendingBatchIds()).toContain(id);
    const locked = (await h.outbox.lockAndPeek(id, 5000, 10))!;
    expect(await h.outbox.ack(id, locked.token, locked.entries)).toEqual({ remaining: 0 });
    expect(await h.outbox.pendingBatchIds()).not.toContain(id);
    expect(await h.outbox.unmarkIfEmpty(id)).toBe(true);
  });

  it('moves the head to the dead-letter record with its reason, only under the token', async () => {
    const requests = makeRequests(2);
    const { batch } = await h.repo.create(makeBatch(requests), requests);
    const id = batch.batch_id;
    await h.repo.storeResults(id, [result(0), result(1)], [event('a'), event('b')]);
    const token = (await h.outbox.tryLock(id, 5000))!;
    const [first, second] = await h.outbox.peekEntries(id, 2);
    expect(await h.outbox.deadLetter(id, 'stale', first, 'too_large', 'x')).toEqual({ refused: 'lock_lost' });
    expect(await h.outbox.deadLetter(id, token, second, 'too_large', 'x')).toEqual({
      refused: 'head_changed',
    });
    expect(await h.outbox.deadLetter(id, token, first, 'too_large', '2 MB')).toEqual({ remaining: 1 });
    const dead = await h.outbox.deadLetters(id);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ reason: 'too_large', detail: '2 MB', message: first.message });
    expect((await h.outbox.peek(id, 10)).map((m) => m.envelope.correlation_id)).toEqual(['b']);
  });
});
