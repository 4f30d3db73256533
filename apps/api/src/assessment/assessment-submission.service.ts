import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AssessmentAcceptedDto, AssessmentSubmitDto, CJAssessmentRequestedV1 } from '#contracts';
import { CorrelationContext } from '#infra';
import { AssessmentRepository, AssessmentSubmissionRepository } from '#assessment-store';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { ProviderSelectionService } from '../comparison/provider-selection.service.js';
import { requestHash } from '../comparison/request-hash.js';
import { API_SETTINGS, statusUrlOfAssessment, type ApiSettings } from '../config/api-settings.js';
import { ApiError } from '../http/api-error.js';
import type { HttpOutcome } from '../comparison/http-outcome.js';
import { CostQuoteService } from '../quote/cost-quote.service.js';
import { AssessmentRequestPublisher } from './assessment-request.publisher.js';

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
    const running = await this.assessments.get(id);
    const { submission, created } = await this.submissions.claim(
      {
        assessment_id: id,
        tenant_id: principal.tenant_id,
        key_id: principal.key_id,
        request_hash: hash,
        correlation_id: correlationId,
        accepted_at: new Date().toISOString(),
        quote,
      },
      this.settings.assessmentRetentionSeconds,
    );
    const sameRequest = submission.tenant_id === principal.tenant_id && submission.request_hash === hash;
    if ((created && running) || !sameRequest) {
      if (created) await this.submissions.release(id);
      // Never says whose: another tenant's id is as unknown here as on GET.
      throw new ApiError(
        HttpStatus.CONFLICT,
        'CONFLICT',
        `assessment_id ${id} is already in use by a different request`,
        { field: 'assessment_id' },
      );
    }
    if (created || !running) {
      try {
        const envelope = byReference
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
          : inline;
        await this.publisher.publish(envelope);
      } catch (err) {
        if (created) await this.submissions.release(id);
        if (created && byReference) await this.submissions.dropRequestEssays(id);
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
