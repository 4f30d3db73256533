import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { AssessmentJudgementsPageDto, AssessmentStatusDto } from '#contracts';
import { AssessmentRepository, AssessmentSubmissionRepository, type StoredResult } from '#assessment-store';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import type { HttpOutcome } from '../comparison/http-outcome.js';
import {
  assessmentStatus,
  toAssessmentStatus,
  toJudgements,
  type AssessmentState,
} from './assessment-view.js';

const ENDED = ['completed', 'failed', 'cancelled'];

/**
 * Reads an assessment from the shared store (never from cj-integration over HTTP), for its owner only: another
 * tenant's id, or one submitted through Kafka rather than the API, is answered like an unknown id.
 */
@Injectable()
export class AssessmentQueryService {
  constructor(
    private readonly assessments: AssessmentRepository,
    private readonly submissions: AssessmentSubmissionRepository,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  async status(principal: ApiPrincipal, id: string): Promise<AssessmentStatusDto> {
    return toAssessmentStatus(await this.state(principal, id));
  }

  async judgements(
    principal: ApiPrincipal,
    id: string,
    offset: number,
    limit: number | undefined,
  ): Promise<AssessmentJudgementsPageDto> {
    const max = this.settings.resultsPageMaxLimit;
    if (limit !== undefined && limit > max) {
      throw ApiError.invalid('limit', `limit may be at most ${max}`, { max });
    }
    const size = limit ?? Math.min(100, max);
    const state = await this.state(principal, id);
    const pairs = state.record ? await this.assessments.getPairs(id) : [];
    const page = pairs.slice(offset, offset + size);
    const indexes = page.map((p) => p.pair_index);
    const results = new Map<string, Map<number, StoredResult>>();
    for (const attempt of state.record?.batches ?? []) {
      results.set(
        attempt.correlation_id,
        await this.assessments.getResultsOf(id, attempt.correlation_id, indexes),
      );
    }
    const next = offset + page.length;
    return {
      assessment_id: id,
      status: assessmentStatus(state),
      offset,
      limit: size,
      total: pairs.length,
      next_offset: next < pairs.length ? next : null,
      items: toJudgements(page, state.record, results),
    };
  }

  /**
   * Writes the cancel request to the shared store; cj-integration cancels the batch and ends the assessment
   * (CANCELLED). 202 while that happens, 200 when it is already cancelled, 409 when it ended otherwise.
   */
  async cancel(principal: ApiPrincipal, id: string): Promise<HttpOutcome<AssessmentStatusDto>> {
    const before = await this.state(principal, id);
    const status = assessmentStatus(before);
    if (status === 'cancelled') return { status: HttpStatus.OK, body: toAssessmentStatus(before) };
    if (ENDED.includes(status)) {
      throw new ApiError(HttpStatus.CONFLICT, 'CONFLICT', `Assessment ${id} is already ${status}`, {
        details: { status },
      });
    }
    await this.assessments.requestCancel(id, new Date(), this.settings.assessmentRetentionSeconds);
    return { status: HttpStatus.ACCEPTED, body: toAssessmentStatus(await this.state(principal, id)) };
  }

  async state(principal: ApiPrincipal, id: string): Promise<AssessmentState> {
    const stored = await this.submissions.get(id);
    if (!stored || stored.submission.tenant_id !== principal.tenant_id)
      throw ApiError.notFound('Assessment', id);
    const [record, cancelRequestedAt] = await Promise.all([
      this.assessments.get(id),
      this.assessments.cancelRequestedAt(id),
    ]);
    const resultCounts = new Map<string, number>();
    for (const attempt of record?.batches ?? []) {
      if (attempt.reported_count === null) {
        resultCounts.set(
          attempt.correlation_id,
          await this.assessments.countResults(id, attempt.correlation_id),
        );
      }
    }
    return { stored, record, cancelRequestedAt, resultCounts };
  }
}
