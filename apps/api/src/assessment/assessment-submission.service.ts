import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type {
  AssessmentAcceptedDto,
  AssessmentSubmitDto,
  CJAssessmentRequestedV1,
  CostQuote,
} from '#contracts';
import { CorrelationContext } from '#infra';
import { AssessmentRepository, AssessmentSubmissionRepository } from '#assessment-store';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { ProviderSelectionService } from '../comparison/provider-selection.service.js';
import { requestHash } from '../comparison/request-hash.js';
import { API_SETTINGS, statusUrlOfAssessment, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import type { HttpOutcome } from '../comparison/http-outcome.js';
import { CostQuoteService } from '../quote/cost-quote.service.js';
import {
  AssessmentRequestPublisher,
  type AssessmentRequestEnvelope,
} from './assessment-request.publisher.js';

/**
 * POST /api/v1/assessments: validate and quote (every refusal before anything is stored), claim the id for the
 * caller's tenant (atomic), publish CJAssessmentRequestedV1 for cj-integration: inline when the event fits
 * ASSESSMENT_MAX_EVENT_BYTES, else with the essays in the assessment store and `essays_ref` in the event. A repeat of the same body with
 * the same id answers the same 202 and republishes when cj-integration has not picked the request up yet.
 */
@Injectable()
export class AssessmentSubmissionService {
  constructor(
    private readonly assessments: AssessmentRepository,
    private readonly submissions: AssessmentSubmissionRepository,
    private readonly providers: ProviderSelectionService,
    private readonly quotes: CostQuoteService,
    private readonly publisher: AssessmentRequestPublisher,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  /** The request as cj-integration will receive it: plain data, id and comparisons per essay filled in. */
  requestData(body: AssessmentSubmitDto): CJAssessmentRequestedV1 {
    const { max_cost_usd: _max, ...plain } = JSON.parse(JSON.stringify(body)) as AssessmentSubmitDto;
    return {
      ...plain,
      assessment_id: plain.assessment_id ?? randomUUID(),
      comparisons_per_essay:
        plain.comparisons_per_essay ?? this.settings.assessmentDefaultComparisonsPerEssay,
    };
  }

  async submit(
    principal: ApiPrincipal,
    body: AssessmentSubmitDto,
  ): Promise<HttpOutcome<AssessmentAcceptedDto>> {
    const data = this.requestData(body);
    const id = data.assessment_id;
    await this.providers.select(data.llm_config, 'llm_config');
    const quote = await this.quotes.quoteAssessment(data);
    this.quotes.enforceLimit(quote, body.max_cost_usd);

    const hash = requestHash({ kind: 'assessment', body: data });
    const correlationId = CorrelationContext.current() ?? id;
    const inline = this.publisher.envelope(data, hash, correlationId, principal.tenant_id);
    // Larger than one Kafka record: the essays go to the assessment store and the event carries a reference.
    const byReference = Buffer.byteLength(JSON.stringify(inline)) > this.settings.assessmentMaxEventBytes;
    return this.handOver(principal, {
      id,
      hash,
      quote,
      correlationId,
      envelope: async () =>
        byReference
          ? this.publisher.envelope(
              {
                ...data,
                essays: [],
                essays_ref: await this.submissions.storeRequestEssays(
                  id,
                  data.essays,
                  this.settings.assessmentRetentionSeconds,
                ),
              },
              hash,
              correlationId,
              principal.tenant_id,
            )
          : inline,
      undo: async () => {
        if (byReference) await this.submissions.dropRequestEssays(id);
      },
    });
  }

  /**
   * 409 naming assessment_id when the id is already taken (claimed over the API or running): checked when an
   * upload is opened, so a client learns it before sending its parts. The seal's claim stays the atomic check.
   */
  async ensureIdAvailable(id: string): Promise<void> {
    if ((await this.submissions.get(id)) || (await this.assessments.get(id))) throw idInUse(id);
  }

  /**
   * The common end of the one-body form and of an upload's seal: claim the id for the caller's tenant (atomic),
   * then publish `envelope()` unless cj-integration already runs it. A repeat of the same request (same hash)
   * answers the same 202; `undo` runs when this call claimed the id but could not publish.
   */
  async handOver(
    principal: ApiPrincipal,
    request: {
      id: string;
      hash: string;
      quote: CostQuote;
      correlationId: string;
      envelope: () => Promise<AssessmentRequestEnvelope>;
      undo?: () => Promise<void>;
    },
  ): Promise<HttpOutcome<AssessmentAcceptedDto>> {
    const { id, hash, quote } = request;
    const running = await this.assessments.get(id);
    const { submission, created } = await this.submissions.claim(
      {
        assessment_id: id,
        tenant_id: principal.tenant_id,
        key_id: principal.key_id,
        request_hash: hash,
        correlation_id: request.correlationId,
        accepted_at: new Date().toISOString(),
        quote,
      },
      this.settings.assessmentRetentionSeconds,
    );
    const sameRequest = submission.tenant_id === principal.tenant_id && submission.request_hash === hash;
    if ((created && running) || !sameRequest) {
      if (created) await this.submissions.release(id);
      throw idInUse(id);
    }
    if (created || !running) {
      try {
        await this.publisher.publish(await request.envelope());
      } catch (err) {
        if (created) await this.submissions.release(id);
        if (created) await request.undo?.();
        throw err;
      }
    }
    return {
      status: HttpStatus.ACCEPTED,
      body: {
        assessment_id: id,
        status: running ? 'running' : 'queued',
        status_url: statusUrlOfAssessment(id),
        report_url: `${statusUrlOfAssessment(id)}/report`,
        quote: submission.quote ?? quote,
      },
    };
  }
}

/** Never says whose: another tenant's id is as unknown here as on GET. */
function idInUse(id: string): ApiError {
  return new ApiError(
    HttpStatus.CONFLICT,
    'CONFLICT',
    `assessment_id ${id} is already in use by a different request`,
    { field: 'assessment_id' },
  );
}
