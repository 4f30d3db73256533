import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AssessmentAcceptedDto, AssessmentUploadDto, CJAssessmentRequestedV1 } from '#contracts';
import { CorrelationContext } from '#infra';
import { AssessmentUploadRepository, uploadEssaysRef, type AssessmentUploadState } from '#assessment-store';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { ProviderSelectionService } from '../comparison/provider-selection.service.js';
import type { HttpOutcome } from '../comparison/http-outcome.js';
import { requestHash } from '../comparison/request-hash.js';
import { checkPart, uploadSealedError } from '../comparison/upload-parts.js';
import { API_SETTINGS, statusUrlOfAssessment, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { CostQuoteService } from '../quote/cost-quote.service.js';
import {
  AssessmentRequestValidator,
  type ValidatedAssessmentUploadHeader,
} from '../validation/assessment-request.validator.js';
import { AssessmentRequestPublisher } from './assessment-request.publisher.js';
import { AssessmentSubmissionService } from './assessment-submission.service.js';

/**
 * An assessment too large for one body, uploaded in parts like a batch: create (the whole request but its essays,
 * validated in full) → put parts of essays (each ≤ UPLOAD_PART_MAX_BYTES, checked per essay; an id another part
 * holds is refused) → seal. The seal freezes the parts, checks the totals and the quote like the one-body form
 * and publishes CJAssessmentRequestedV1 with `essays_ref` naming the upload: cj-integration reads the parts where
 * they were written, so the seal copies no essay text. Nothing runs before the seal; an unsealed upload expires
 * with its keys after UPLOAD_TTL_SECONDS.
 */
@Injectable()
export class AssessmentUploadService {
  constructor(
    private readonly uploads: AssessmentUploadRepository,
    private readonly submissions: AssessmentSubmissionService,
    private readonly providers: ProviderSelectionService,
    private readonly quotes: CostQuoteService,
    private readonly publisher: AssessmentRequestPublisher,
    private readonly validator: AssessmentRequestValidator,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  async create(principal: ApiPrincipal, body: ValidatedAssessmentUploadHeader): Promise<AssessmentUploadDto> {
    const plain = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
    const request = {
      ...plain,
      assessment_id: (plain.assessment_id as string | undefined) ?? randomUUID(),
      comparisons_per_essay:
        (plain.comparisons_per_essay as number | undefined) ??
        this.settings.assessmentDefaultComparisonsPerEssay,
    };
    await this.providers.select(body.llm_config, 'llm_config');
    await this.submissions.ensureIdAvailable(request.assessment_id);
    const now = Date.now();
    const meta = {
      upload_id: randomUUID(),
      tenant_id: principal.tenant_id,
      key_id: principal.key_id,
      request,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + this.settings.uploadTtlSeconds * 1000).toISOString(),
    };
    await this.uploads.create(meta, this.settings.uploadTtlSeconds);
    return this.view({ meta, status: 'open', parts: new Map() });
  }

  async status(principal: ApiPrincipal, uploadId: string): Promise<AssessmentUploadDto> {
    return this.view(await this.owned(principal, uploadId));
  }

  async putPart(
    principal: ApiPrincipal,
    uploadId: string,
    partNumber: number,
    body: unknown,
    bodyBytes: number,
  ): Promise<AssessmentUploadDto> {
    // Size and number first: an oversized part costs no per-essay work.
    checkPart(partNumber, bodyBytes, this.settings.uploadPartMaxBytes);
    const state = await this.owned(principal, uploadId);
    if (state.status !== 'open') throw uploadSealedError();
    const { essays } = await this.validator.validatePart(body);
    let total = essays.length;
    for (const [n, info] of state.parts) if (n !== partNumber) total += info.essay_ids.length;
    const max = this.settings.maxEssaysPerBatch;
    if (total > max) {
      throw ApiError.invalid('essays', `an assessment may hold at most ${max} essays`, {
        max,
        received: total,
      });
    }
    const outcome = await this.uploads.putPart(uploadId, partNumber, essays);
    if (!outcome.stored) {
      if (outcome.reason === 'unknown') throw ApiError.notFound('Upload', uploadId);
      if (outcome.reason === 'sealed') throw uploadSealedError();
      const field = `essays[${outcome.index}].essay_id`;
      throw ApiError.invalid(
        field,
        `${field} "${essays[outcome.index].essay_id}" is already in part ${outcome.otherPart}`,
        { part_number: outcome.otherPart },
      );
    }
    return this.status(principal, uploadId);
  }

  async seal(principal: ApiPrincipal, uploadId: string): Promise<HttpOutcome<AssessmentAcceptedDto>> {
    await this.owned(principal, uploadId);
    const frozen = await this.uploads.freeze(uploadId);
    // Read after the freeze: no part can change between this read and the hand-over.
    const state = frozen === 'unknown' ? null : await this.uploads.get(uploadId);
    if (!state) throw ApiError.notFound('Upload', uploadId);
    let request: Awaited<ReturnType<AssessmentUploadService['checked']>>;
    try {
      request = await this.checked(state);
    } catch (err) {
      // The content is refused (too few essays, over max_cost_usd…): nothing was claimed or published, so the
      // seal that froze the parts reopens them; the client may add or replace parts and seal again.
      if (frozen === 'frozen') await this.uploads.reopen(uploadId);
      throw err;
    }
    // From the claim on, the parts stay frozen whatever happens (the published reference names their digests): a
    // seal that failed here (id taken, Kafka away) is repeated as is.
    const outcome = await this.submissions.handOver(principal, request);
    await this.uploads.markSealed(uploadId, this.settings.assessmentRetentionSeconds);
    return outcome;
  }

  /** The whole assessment checked like the one-body form, from the parts' ids and lengths, ready to hand over. */
  private async checked(state: AssessmentUploadState) {
    const essayIds: string[] = [];
    const textChars: number[] = [];
    for (const [, info] of [...state.parts].sort(([a], [b]) => a - b)) {
      for (let i = 0; i < info.essay_ids.length; i++) {
        essayIds.push(info.essay_ids[i]);
        textChars.push(info.text_chars[i]);
      }
    }
    if (essayIds.length < 2) {
      throw ApiError.invalid(
        'essays',
        `the upload holds ${essayIds.length} essays; an assessment needs at least 2`,
      );
    }
    const max = this.settings.maxEssaysPerBatch;
    if (essayIds.length > max) {
      throw ApiError.invalid('essays', `an assessment may hold at most ${max} essays`, {
        max,
        received: essayIds.length,
      });
    }
    const { max_cost_usd: maxCostUsd, ...request } = state.meta.request as Omit<
      CJAssessmentRequestedV1,
      'essays'
    > & { max_cost_usd?: number };
    await this.providers.select(request.llm_config, 'llm_config');
    const quote = await this.quotes.quoteAssessmentEssays(request, essayIds, textChars);
    this.quotes.enforceLimit(quote, maxCostUsd);

    const data: CJAssessmentRequestedV1 = {
      ...request,
      essays: [],
      essays_ref: uploadEssaysRef(state.meta.upload_id, state.parts),
    };
    const hash = requestHash({ kind: 'assessment-upload', body: data });
    const correlationId = CorrelationContext.current() ?? data.assessment_id;
    return {
      id: data.assessment_id,
      hash,
      quote,
      correlationId,
      envelope: async () => this.publisher.envelope(data, hash, correlationId, state.meta.tenant_id),
    };
  }

  private async owned(principal: ApiPrincipal, uploadId: string): Promise<AssessmentUploadState> {
    const state = await this.uploads.get(uploadId);
    // Another tenant's upload answers exactly like an unknown (or expired) one.
    if (!state || state.meta.tenant_id !== principal.tenant_id) throw ApiError.notFound('Upload', uploadId);
    return state;
  }

  private view(state: AssessmentUploadState): AssessmentUploadDto {
    let essays = 0;
    for (const info of state.parts.values()) essays += info.essay_ids.length;
    const id = state.meta.request.assessment_id;
    return {
      upload_id: state.meta.upload_id,
      assessment_id: id,
      status: state.status,
      expires_at: state.meta.expires_at,
      part_max_bytes: this.settings.uploadPartMaxBytes,
      parts: state.parts.size,
      essays,
      ...(state.status === 'sealed'
        ? { status_url: statusUrlOfAssessment(id), report_url: `${statusUrlOfAssessment(id)}/report` }
        : {}),
    };
  }
}
