import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type {
  BatchAcceptedDto,
  BatchUploadCreateDto,
  BatchUploadDto,
  BatchUploadPartDto,
  EssayBatchRequestDto,
  RequestOptionsDto,
} from '#contracts';
import { BatchRepository, UploadRepository, type EssayBatchContent, type UploadState } from '#batch-store';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { API_SETTINGS, statusUrlOfBatch, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { BatchSubmissionService, toEssayContent } from './batch-submission.service.js';
import { toBatchAccepted } from './batch-view.js';
import { CostQuoteService } from '../quote/cost-quote.service.js';
import { checkEssayForm, checkEssayFormCounts } from './essay-form.js';
import type { HttpOutcome } from './http-outcome.js';
import { checkPart, uploadSealedError } from './upload-parts.js';

/**
 * A batch too large for one body, uploaded in parts: create (options + shared prompt) → put parts (essays and/or
 * comparisons, each ≤ UPLOAD_PART_MAX_BYTES) → seal. Parts are validated as they arrive but nothing is processed
 * before the seal; the seal checks the whole batch like the one-body essay form and creates the batch (same id).
 * An upload not sealed within UPLOAD_TTL_SECONDS expires with its parts.
 */
@Injectable()
export class BatchUploadService {
  constructor(
    private readonly uploads: UploadRepository,
    private readonly batches: BatchRepository,
    private readonly submissions: BatchSubmissionService,
    private readonly quotes: CostQuoteService,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  async create(principal: ApiPrincipal, body: BatchUploadCreateDto): Promise<BatchUploadDto> {
    if (body.user_prompt.length > this.settings.maxPromptChars) {
      throw ApiError.invalid(
        'user_prompt',
        `user_prompt may be at most ${this.settings.maxPromptChars} characters`,
      );
    }
    const { user_prompt, ...options } = body;
    const now = Date.now();
    const meta = {
      upload_id: randomUUID(),
      tenant_id: principal.tenant_id,
      options: { ...options },
      user_prompt,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + this.settings.uploadTtlSeconds * 1000).toISOString(),
    };
    await this.uploads.create(meta, this.settings.uploadTtlSeconds);
    return this.view({ meta, batchId: null, parts: new Map() });
  }

  async status(principal: ApiPrincipal, uploadId: string): Promise<BatchUploadDto> {
    return this.view(await this.owned(principal, uploadId));
  }

  async putPart(
    principal: ApiPrincipal,
    uploadId: string,
    partNumber: number,
    body: BatchUploadPartDto,
    bodyBytes: number,
  ): Promise<BatchUploadDto> {
    checkPart(partNumber, bodyBytes, this.settings.uploadPartMaxBytes);
    const essays = body.essays ?? [];
    const comparisons = body.comparisons ?? [];
    if (essays.length + comparisons.length === 0) {
      throw ApiError.invalid('essays', 'a part carries essays, comparisons or both');
    }
    const state = await this.owned(principal, uploadId);
    if (state.batchId) throw uploadSealedError();
    const totals = { essays: essays.length, comparisons: comparisons.length };
    for (const [n, counts] of state.parts) {
      if (n === partNumber) continue; // a re-sent part replaces itself
      totals.essays += counts.essays;
      totals.comparisons += counts.comparisons;
    }
    checkEssayFormCounts(totals, this.settings);
    essays.forEach((essay, i) => {
      if (essay.text.length > this.settings.maxEssayChars) {
        throw ApiError.invalid(
          `essays[${i}].text`,
          `essays[${i}].text may be at most ${this.settings.maxEssayChars} characters`,
        );
      }
    });
    const part = toEssayContent({ user_prompt: '', essays, comparisons } as unknown as EssayBatchRequestDto);
    const outcome = await this.uploads.putPart(uploadId, partNumber, {
      essays: part.essays,
      comparisons: part.comparisons,
    });
    if (outcome === 'unknown') throw ApiError.notFound('Upload', uploadId);
    if (outcome === 'sealed') throw uploadSealedError();
    return this.status(principal, uploadId);
  }

  async seal(principal: ApiPrincipal, uploadId: string): Promise<HttpOutcome<BatchAcceptedDto>> {
    const state = await this.owned(principal, uploadId);
    if (state.batchId) {
      const existing = await this.batches.get(state.batchId);
      if (existing) return { status: HttpStatus.ACCEPTED, body: toBatchAccepted(existing) };
    }
    const content: EssayBatchContent = { user_prompt: state.meta.user_prompt, essays: [], comparisons: [] };
    for await (const { part } of this.uploads.parts(uploadId)) {
      for (const essay of part.essays) content.essays.push(essay);
      for (const comparison of part.comparisons) content.comparisons.push(comparison);
    }
    if (content.comparisons.length === 0)
      throw ApiError.invalid('comparisons', 'the upload holds no comparisons');
    // The whole batch, checked exactly like the one-body essay form (unique ids, references, caps, cost).
    const { max_cost_usd: maxCostUsd, ...options } = state.meta.options as RequestOptionsDto & {
      max_cost_usd?: number;
    };
    const body = { ...options, ...content } as unknown as EssayBatchRequestDto;
    checkEssayForm(body, this.settings);
    const quote = await this.quotes.quoteBatch(body);
    this.quotes.enforceLimit(quote, maxCostUsd);
    const batch = await this.submissions.acceptUpload(principal, options, content, uploadId, quote);
    await this.uploads.markSealed(uploadId, batch.batch_id);
    return { status: HttpStatus.ACCEPTED, body: toBatchAccepted(batch) };
  }

  private async owned(principal: ApiPrincipal, uploadId: string): Promise<UploadState> {
    const state = await this.uploads.get(uploadId);
    // Another tenant's upload answers exactly like an unknown (or expired) one.
    if (!state || state.meta.tenant_id !== principal.tenant_id) throw ApiError.notFound('Upload', uploadId);
    return state;
  }

  private view(state: UploadState): BatchUploadDto {
    let essays = 0;
    let comparisons = 0;
    for (const counts of state.parts.values()) {
      essays += counts.essays;
      comparisons += counts.comparisons;
    }
    return {
      upload_id: state.meta.upload_id,
      status: state.batchId ? 'sealed' : 'open',
      expires_at: state.meta.expires_at,
      part_max_bytes: this.settings.uploadPartMaxBytes,
      parts: state.parts.size,
      essays,
      comparisons,
      ...(state.batchId ? { batch_id: state.batchId, status_url: statusUrlOfBatch(state.batchId) } : {}),
    };
  }
}
