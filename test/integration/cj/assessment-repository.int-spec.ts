import { Redis } from 'ioredis';
import { generatePairs } from '#cj-scoring';
import {
  assessmentKey,
  AssessmentRepository,
  AssessmentSubmissionRepository,
  type AssessmentRecord,
  type AssessmentSubmission,
  type StoredResult,
} from '#assessment-store';
import {
  newAssessment,
  withPinnedConfig,
} from '../../../apps/cj-integration/src/assessment/assessment-state.js';

const run = `repo${Date.now().toString(36)}`;

const essays = ['a', 'b', 'c'].map((essay_id) => ({ essay_id, text: `text ${essay_id}` }));
const pairs = generatePairs({ essayIds: essays.map((e) => e.essay_id), comparisonsPerEssay: 2, seed: 1 });

function record(id: string): AssessmentRecord {
  return newAssessment(
    {
      assessment_id: id,
      essays,
      assignment: 'x',
      criteria: 'y',
      instructions: null,
      llm_config: {},
      comparisons_per_essay: 2,
      both_orders: false,
      seed: 1,
      request_hash: 'h',
    },
    pairs.length,
    'p',
    'c',
    new Date(0),
    1000,
  );
}

const result = (pair_index: number): StoredResult => ({
  pair_index,
  winner: 'Essay A',
  error_code: null,
  provider: 'mock',
  model: 'm',
  cost_estimate: 0,
});

describe('AssessmentRepository (real Redis)', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const repo = new AssessmentRepository(redis);

  afterAll(async () => {
    const keys = await redis.keys(`cj:*${run}*`);
    if (keys.length) await redis.del(...keys);
    await redis.zrem(
      'cj:deadlines',
      `${run}-create`,
      `${run}-cas`,
      `${run}-shared`,
      `${run}-results`,
      `${run}-cancel`,
    );
    await redis.zrem('cj:cancels', `${run}-cancel`);
    await redis.quit();
  });

  it('creates an assessment once; concurrent creates agree on one record', async () => {
    const id = `${run}-create`;
    const outcomes = await Promise.all(
      [1, 2, 3, 4].map(() => repo.create(record(id), [{ essay_id: 'a', text: 'A' }], pairs)),
    );
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    expect(new Set(outcomes.map((o) => JSON.stringify(o.record))).size).toBe(1);
    expect(await repo.getEssayTexts(id)).toEqual(new Map([['a', 'A']]));
    expect(await repo.getPairs(id)).toEqual(pairs);
    expect(await repo.overdue(1000)).toContain(id);
  });

  it('lets exactly one of two writers of the same version win (compare-and-set)', async () => {
    const id = `${run}-cas`;
    const { record: stored } = await repo.create(record(id), [], pairs);
    const [a, b] = await Promise.all([
      repo.compareAndSet(withPinnedConfig(stored, 'mock', 'one')),
      repo.compareAndSet(withPinnedConfig(stored, 'mock', 'two')),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect((await repo.get(id))?.version).toBe(stored.version + 1);

    // update() re-reads after losing a race, so concurrent changes all land.
    await Promise.all(
      [1, 2, 3].map((n) =>
        repo.update(id, (r) => ({ ...r, version: r.version + 1, user_prompt: `${r.user_prompt}${n}` })),
      ),
    );
    const final = await repo.get(id);
    expect(final?.version).toBe(stored.version + 4);
    expect([...final!.user_prompt.slice(1)].sort()).toEqual(['1', '2', '3']);
  });

  it('shares one parsed record between reads until its version changes (getShared), and it is frozen', async () => {
    const id = `${run}-shared`;
    const { record: stored } = await repo.create(record(id), [], pairs);
    const first = await repo.getShared(id);
    expect(first).toEqual(stored);
    expect(await repo.getShared(id)).toBe(first); // the same object: nothing re-read or re-parsed
    expect(Object.isFrozen(first) && Object.isFrozen(first!.batches)).toBe(true);
    expect(() => (first!.essay_ids as string[]).push('x')).toThrow(TypeError);

    await repo.update(id, (r) => withPinnedConfig(r, 'mock', 'm'));
    const changed = await repo.getShared(id);
    expect(changed).not.toBe(first);
    expect(changed?.pinned).toEqual({ provider: 'mock', model: 'm' });
    expect(changed).toEqual(await repo.get(id));

    await redis.del(assessmentKey(id));
    expect(await repo.getShared(id)).toBeNull();
  });

  it('stores a result once per event id and once per pair; retire leaves the deadline index', async () => {
    const id = `${run}-results`;
    const { record: stored } = await repo.create(record(id), [], pairs);
    expect(await repo.recordResult(id, 'att', 'ev-1', result(0))).toBe('stored');
    expect(await repo.recordResult(id, 'att', 'ev-1', result(0))).toBe('duplicate_event');
    expect(await repo.recordResult(id, 'att', 'ev-2', result(0))).toBe('duplicate_pair');
    expect(await repo.recordResult(id, 'att', 'ev-3', result(1))).toBe('stored');
    expect([...(await repo.getResults(id, 'att')).keys()].sort()).toEqual([0, 1]);
    expect(await repo.countResults(id, 'att')).toBe(2);

    await repo.retire({ ...stored, batches: [{ ...stored.batches[0], correlation_id: 'att' }] }, 60);
    expect(await repo.overdue(Number.MAX_SAFE_INTEGER, 10_000)).not.toContain(id);
    expect(await redis.ttl(`cj:assessment:{${id}}:results:att`)).toBeGreaterThan(0);
  });

  it('keeps a cancel request and the API submission (claimed once, refusal kept) and expires them on retire', async () => {
    const id = `${run}-cancel`;
    const submissions = new AssessmentSubmissionRepository(redis);
    const submission = (tenant: string): AssessmentSubmission => ({
      assessment_id: id,
      tenant_id: tenant,
      key_id: `k_${tenant}`,
      request_hash: tenant,
      correlation_id: 'c',
      accepted_at: new Date(0).toISOString(),
      quote: null,
    });
    const claims = await Promise.all(['t1', 't2', 't3'].map((t) => submissions.claim(submission(t), 600)));
    expect(claims.filter((c) => c.created)).toHaveLength(1);
    const owner = claims.find((c) => c.created)!.submission.tenant_id;
    expect(claims.every((c) => c.submission.tenant_id === owner)).toBe(true);
    expect(await submissions.recordRefusal(`${id}-none`, {} as never)).toBe(false);

    await repo.requestCancel(id, new Date(5000), 600);
    await repo.requestCancel(id, new Date(9000), 600);
    expect(await repo.cancelRequestedAt(id)).toBe(new Date(5000).toISOString());
    expect(await repo.pendingCancels(10_000)).toContainEqual({ assessment_id: id, requested_at_ms: 5000 });

    const { record: stored } = await repo.create(record(id), [], pairs);
    await repo.retire(stored, 60);
    expect((await repo.pendingCancels(10_000)).map((p) => p.assessment_id)).not.toContain(id);
    expect(await redis.ttl(`cj:assessment:{${id}}:submission`)).toBeLessThanOrEqual(60);
    expect(await redis.ttl(`cj:assessment:{${id}}:cancel`)).toBeLessThanOrEqual(60);
  });
});
