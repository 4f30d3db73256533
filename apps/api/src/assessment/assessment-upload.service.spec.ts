import { HttpStatus } from '@nestjs/common';
import type { CJEssayV1, CostQuote } from '#contracts';
import {
  uploadEssaysRef,
  type AssessmentUploadMeta,
  type AssessmentUploadPartInfo,
  type AssessmentUploadRepository,
  type AssessmentUploadState,
  type PutPartOutcome,
} from '#assessment-store';
import type { ApiPrincipal } from '../auth/api-principal.js';
import type { ProviderSelectionService } from '../comparison/provider-selection.service.js';
import type { ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { CostQuoteService } from '../quote/cost-quote.service.js';
import { AssessmentRequestValidator } from '../validation/assessment-request.validator.js';
import type { AssessmentRequestPublisher } from './assessment-request.publisher.js';
import type { AssessmentSubmissionService } from './assessment-submission.service.js';
import { AssessmentUploadService } from './assessment-upload.service.js';

const SETTINGS = {
  uploadPartMaxBytes: 1_000,
  uploadTtlSeconds: 60,
  maxEssaysPerBatch: 5,
  maxEssayChars: 500,
  maxPromptChars: 2_000,
  maxComparisonsPerBatch: 1_000,
  assessmentDefaultComparisonsPerEssay: 10,
  assessmentRetentionSeconds: 3_600,
} as unknown as ApiSettings;

const principal = (tenant = 't1'): ApiPrincipal =>
  ({ tenant_id: tenant, key_id: `k-${tenant}` }) as ApiPrincipal;
const essay = (i: number): CJEssayV1 => ({ essay_id: `e-${i}`, text: `Essay ${i}.` });
const quote = (cost: number): CostQuote =>
  ({ comparisons: 3, estimated_cost_usd: cost }) as unknown as CostQuote;

/** The repository's contract in memory (the Lua scripts' semantics; Redis itself in the integration specs). */
class FakeUploads {
  readonly stored = new Map<
    string,
    { meta: AssessmentUploadMeta; flag: 'open' | 'sealing' | 'sealed'; parts: Map<number, CJEssayV1[]> }
  >();
  sealedTtl: number | null = null;

  async create(meta: AssessmentUploadMeta): Promise<void> {
    this.stored.set(meta.upload_id, { meta, flag: 'open', parts: new Map() });
  }

  async get(id: string): Promise<AssessmentUploadState | null> {
    const u = this.stored.get(id);
    if (!u) return null;
    const parts = new Map<number, AssessmentUploadPartInfo>();
    for (const [n, essays] of u.parts) {
      parts.set(n, {
        essay_ids: essays.map((e) => e.essay_id),
        text_chars: essays.map((e) => e.text.length),
        sha256: `d${n}`,
      });
    }
    return { meta: u.meta, status: u.flag, parts };
  }

  async putPart(id: string, n: number, essays: CJEssayV1[]): Promise<PutPartOutcome> {
    const u = this.stored.get(id);
    if (!u) return { stored: false, reason: 'unknown' };
    if (u.flag !== 'open') return { stored: false, reason: 'sealed' };
    for (const [i, e] of essays.entries()) {
      for (const [other, page] of u.parts) {
        if (other !== n && page.some((p) => p.essay_id === e.essay_id)) {
          return { stored: false, reason: 'duplicate', index: i, otherPart: other };
        }
      }
    }
    u.parts.set(n, essays);
    return { stored: true };
  }

  async freeze(id: string): Promise<'frozen' | 'already-frozen' | 'sealed' | 'unknown'> {
    const u = this.stored.get(id);
    if (!u) return 'unknown';
    if (u.flag === 'sealed') return 'sealed';
    if (u.flag === 'sealing') return 'already-frozen';
    u.flag = 'sealing';
    return 'frozen';
  }

  async reopen(id: string): Promise<void> {
    const u = this.stored.get(id)!;
    if (u.flag === 'sealing') u.flag = 'open';
  }

  async markSealed(id: string, ttl: number): Promise<void> {
    this.stored.get(id)!.flag = 'sealed';
    this.sealedTtl = ttl;
  }
}

function setup(options: { cost?: number; idInUse?: boolean; handOverFails?: boolean } = {}) {
  const uploads = new FakeUploads();
  const handOvers: Array<Parameters<AssessmentSubmissionService['handOver']>[1]> = [];
  const submissions = {
    ensureIdAvailable: async (id: string) => {
      if (options.idInUse)
        throw new ApiError(HttpStatus.CONFLICT, 'CONFLICT', `${id} in use`, { field: 'assessment_id' });
    },
    handOver: async (_p: ApiPrincipal, request: (typeof handOvers)[number]) => {
      handOvers.push(request);
      if (options.handOverFails) {
        throw new ApiError(HttpStatus.CONFLICT, 'CONFLICT', 'taken', { field: 'assessment_id' });
      }
      return {
        status: HttpStatus.ACCEPTED,
        body: {
          assessment_id: request.id,
          status: 'queued',
          status_url: 's',
          report_url: 'r',
          quote: request.quote,
        },
      };
    },
  } as unknown as AssessmentSubmissionService;
  const quoted: Array<{ ids: string[]; chars: number[] }> = [];
  const quotes = {
    quoteAssessmentEssays: async (_body: unknown, ids: string[], chars: number[]) => {
      quoted.push({ ids, chars });
      return quote(options.cost ?? 1);
    },
    enforceLimit: CostQuoteService.prototype.enforceLimit,
  } as unknown as CostQuoteService;
  const providers = { select: async () => ({}) } as unknown as ProviderSelectionService;
  const publisher = { envelope: () => ({}) } as unknown as AssessmentRequestPublisher;
  const service = new AssessmentUploadService(
    uploads as unknown as AssessmentUploadRepository,
    submissions,
    providers,
    quotes,
    publisher,
    new AssessmentRequestValidator(SETTINGS),
    SETTINGS,
  );
  return { service, uploads, handOvers, quoted };
}

const header = (patch: Record<string, unknown> = {}) =>
  ({ assignment: 'A', criteria: 'C', llm_config: { provider_override: 'mock' }, ...patch }) as never;

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('AssessmentUploadService', () => {
  it('opens an upload with the id and k filled in, and refuses an id already in use (409) before any part', async () => {
    const { service } = setup();
    const view = await service.create(principal(), header({ assessment_id: 'a-1' }));
    expect(view).toMatchObject({
      assessment_id: 'a-1',
      status: 'open',
      parts: 0,
      essays: 0,
      part_max_bytes: 1_000,
    });
    const generated = await service.create(principal(), header());
    expect(generated.assessment_id).toMatch(/^[0-9a-f-]{36}$/);
    const taken = await refusal(
      setup({ idInUse: true }).service.create(principal(), header({ assessment_id: 'a-1' })),
    );
    expect(taken.status).toBe(409);
  });

  it('checks size and part number before the essays, then each essay with its part-relative index', async () => {
    const { service } = setup();
    const { upload_id: id } = await service.create(principal(), header());
    // An oversized part is 413 even when its content is also invalid: no per-essay work is done.
    expect((await refusal(service.putPart(principal(), id, 1, { essays: 'nonsense' }, 1_001))).status).toBe(
      413,
    );
    expect((await refusal(service.putPart(principal(), id, 0, { essays: [essay(1)] }, 10))).field).toBe(
      'part_number',
    );
    const text = await refusal(
      service.putPart(principal(), id, 1, { essays: [essay(1), { essay_id: 'e-2', text: '' }] }, 10),
    );
    expect(text.field).toBe('essays[1].text');
    const long = { essay_id: 'e-3', text: 'x'.repeat(501) };
    expect((await refusal(service.putPart(principal(), id, 1, { essays: [long] }, 10))).field).toBe(
      'essays[0].text',
    );
    expect(
      (await refusal(service.putPart(principal(), id, 1, { essays: [essay(1)], extra: 1 }, 10))).field,
    ).toBe('extra');
  });

  it('refuses an essay_id another part holds, naming it within the part, and the total over the essay cap', async () => {
    const { service } = setup();
    const { upload_id: id } = await service.create(principal(), header());
    await service.putPart(principal(), id, 1, { essays: [essay(1), essay(2)] }, 10);
    const dup = await refusal(service.putPart(principal(), id, 2, { essays: [essay(3), essay(2)] }, 10));
    expect(dup).toMatchObject({ field: 'essays[1].essay_id', details: { part_number: 1 } });
    // Re-sending part 1 replaces it (its own ids are no conflict).
    await service.putPart(principal(), id, 1, { essays: [essay(2), essay(1), essay(0)] }, 10);
    const over = await refusal(
      service.putPart(principal(), id, 2, { essays: [essay(3), essay(4), essay(5)] }, 10),
    );
    expect(over).toMatchObject({ field: 'essays', details: { max: 5, received: 6 } });
  });

  it("answers 404 for another tenant's upload and an unknown one", async () => {
    const { service } = setup();
    const { upload_id: id } = await service.create(principal('t1'), header());
    for (const call of [
      () => service.status(principal('t2'), id),
      () => service.putPart(principal('t2'), id, 1, { essays: [essay(1)] }, 10),
      () => service.seal(principal('t2'), id),
      () => service.status(principal('t1'), '00000000-0000-4000-8000-000000000000'),
    ]) {
      expect((await refusal(call())).status).toBe(404);
    }
  });

  it('seals: totals and quote from the parts in part-number order, essays by reference; a refusal reopens', async () => {
    const { service, uploads, handOvers, quoted } = setup({ cost: 2 });
    const { upload_id: id } = await service.create(
      principal(),
      header({ assessment_id: 'a-9', max_cost_usd: 1 }),
    );
    await service.putPart(principal(), id, 10, { essays: [essay(3)] }, 10);
    const tooFew = await refusal(service.seal(principal(), id));
    expect(tooFew).toMatchObject({ field: 'essays' });
    expect((await service.status(principal(), id)).status).toBe('open');

    await service.putPart(
      principal(),
      id,
      2,
      { essays: [essay(1), { essay_id: 'e-2', text: 'A longer essay.' }] },
      10,
    );
    const dear = await refusal(service.seal(principal(), id));
    expect(dear).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', field: 'max_cost_usd' });
    expect((await service.status(principal(), id)).status).toBe('open');
    expect(quoted.at(-1)).toEqual({ ids: ['e-1', 'e-2', 'e-3'], chars: [8, 15, 8] });
    expect(handOvers).toHaveLength(0);

    uploads.stored.get(id)!.meta.request.max_cost_usd = 5;
    const accepted = await service.seal(principal(), id);
    expect(accepted.status).toBe(202);
    expect(handOvers).toHaveLength(1);
    const { id: assessmentId, envelope } = handOvers[0];
    expect(assessmentId).toBe('a-9');
    expect(envelope).toBeInstanceOf(Function);
    expect(uploads.sealedTtl).toBe(3_600);
    const view = await service.status(principal(), id);
    expect(view).toMatchObject({ status: 'sealed', essays: 3, status_url: '/api/v1/assessments/a-9' });
    expect((await refusal(service.putPart(principal(), id, 3, { essays: [essay(4)] }, 10))).status).toBe(409);

    // Repeating the seal hands over the same request (same hash: the claim makes it idempotent).
    await service.seal(principal(), id);
    expect(handOvers[1].hash).toBe(handOvers[0].hash);
  });
});

describe('AssessmentUploadService after the claim', () => {
  it('keeps the parts frozen when the hand-over fails (the reference may be out): no part changes, a seal retries', async () => {
    const { service } = setup({ handOverFails: true });
    const { upload_id: id } = await service.create(principal(), header());
    await service.putPart(principal(), id, 1, { essays: [essay(1), essay(2)] }, 10);
    expect((await refusal(service.seal(principal(), id))).status).toBe(409);
    expect((await service.status(principal(), id)).status).toBe('sealing');
    expect((await refusal(service.putPart(principal(), id, 2, { essays: [essay(3)] }, 10))).status).toBe(409);
  });
});

describe('uploadEssaysRef', () => {
  it('counts the essays and digests the parts in numeric part order', () => {
    const info = (ids: string[], sha256: string): AssessmentUploadPartInfo => ({
      essay_ids: ids,
      text_chars: ids.map(() => 1),
      sha256,
    });
    const a = uploadEssaysRef(
      'u',
      new Map([
        [10, info(['x'], 'b')],
        [2, info(['y', 'z'], 'a')],
      ]),
    );
    const b = uploadEssaysRef(
      'u',
      new Map([
        [2, info(['y', 'z'], 'a')],
        [10, info(['x'], 'b')],
      ]),
    );
    expect(a).toEqual(b);
    expect(a).toMatchObject({ store: 'assessment-store', count: 3, upload_id: 'u', parts: 2 });
    expect(
      uploadEssaysRef(
        'u',
        new Map([
          [2, info(['x'], 'b')],
          [10, info(['y', 'z'], 'a')],
        ]),
      ).sha256,
    ).not.toBe(a.sha256);
  });
});
