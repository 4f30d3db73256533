import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { BatchResultsPageDto, BatchStatusDto, ComparisonStatusDto } from '#contracts';
import { BatchRepository, isTerminal, type BatchKind, type BatchRecord } from '#batch-store';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import { toBatchStatus, toComparisonStatus, toResultItem } from './batch-view.js';
import type { HttpOutcome } from './http-outcome.js';

/** Reads (status, result pages) and cancellation of stored batches and individual comparisons. */
@Injectable()
export class BatchQueryService {
  constructor(
    private readonly repository: BatchRepository,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  async batchStatus(principal: ApiPrincipal, batchId: string): Promise<BatchStatusDto> {
    return toBatchStatus(await this.find(principal, batchId, 'batch'));
  }

  async comparisonStatus(principal: ApiPrincipal, queueId: string): Promise<ComparisonStatusDto> {
    const record = await this.find(principal, queueId, 'single');
    const [result] = await this.repository.getResults(queueId, 0, 1);
    const comparisonId =
      result?.comparison_id ?? (await this.repository.getRequests(queueId))[0]?.comparison_id;
    return toComparisonStatus(record, comparisonId ?? queueId, result);
  }

  async resultsPage(
    principal: ApiPrincipal,
    batchId: string,
    offset: number,
    limit: number | undefined,
  ): Promise<BatchResultsPageDto> {
    const pageLimit = limit ?? Math.min(100, this.settings.resultsPageMaxLimit);
    if (pageLimit > this.settings.resultsPageMaxLimit) {
      throw ApiError.invalid('limit', `limit may be at most ${this.settings.resultsPageMaxLimit}`, {
        max: this.settings.resultsPageMaxLimit,
      });
    }
    const record = await this.find(principal, batchId, 'batch');
    const total = record.comparison_count;
    const stored =
      offset < total
        ? await this.repository.getResults(batchId, offset, Math.min(pageLimit, total - offset))
        : [];
    return {
      batch_id: batchId,
      status: record.status,
      offset,
      limit: pageLimit,
      total,
      next_offset: offset + pageLimit < total ? offset + pageLimit : null,
      items: stored.map(toResultItem),
    };
  }

  /**
   * Asks the worker to cancel: 202 while it works on it; 200 when the batch is already canceled (a repeated
   * cancel); 409 when it already finished otherwise.
   */
  async cancel(principal: ApiPrincipal, batchId: string): Promise<HttpOutcome<BatchStatusDto>> {
    const existing = await this.find(principal, batchId, 'batch');
    if (isTerminal(existing.status)) {
      if (existing.status === 'canceled') return { status: HttpStatus.OK, body: toBatchStatus(existing) };
      throw new ApiError(HttpStatus.CONFLICT, 'CONFLICT', `Batch ${batchId} is already ${existing.status}`, {
        details: { status: existing.status },
      });
    }
    const record = await this.repository.requestCancel(batchId);
    if (!record) throw ApiError.notFound('Batch', batchId);
    return {
      status: isTerminal(record.status) ? HttpStatus.OK : HttpStatus.ACCEPTED,
      body: toBatchStatus(record),
    };
  }

  /**
   * A batch id and a queue id share one store; each route only sees its own kind, and each tenant only its own
   * work: another tenant's id is answered exactly like an unknown one.
   */
  private async find(principal: ApiPrincipal, id: string, kind: BatchKind): Promise<BatchRecord> {
    const record = await this.repository.get(id);
    if (!record || record.kind !== kind || record.tenant_id !== principal.tenant_id)
      throw ApiError.notFound(kind === 'batch' ? 'Batch' : 'Comparison', id);
    return record;
  }
}
