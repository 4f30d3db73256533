import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { EVENT_TYPES, type CJAssessmentFailedV1, type CJEssaysRefV1, type EventEnvelope } from '#contracts';
import { CjScoringError, generatePairs, type Pair } from '#cj-scoring';
import { CJ_SETTINGS, STEP_HAND_OFF } from '../cj.tokens.js';
import { StepHandOff } from '../resume/step-hand-off.js';
import type { CjSettings } from '../config/cj-settings.js';
import { AssessmentEventPublisher } from '../kafka/assessment-event-publisher.js';
import { AssessmentFinalizer } from './assessment-finalizer.service.js';
import { AssessmentRepository, AssessmentSubmissionRepository } from '#assessment-store';
import { CANCELLED_MESSAGE } from '../cancel/cancel-watcher.service.js';
import { newAssessment } from './assessment-state.js';
import { BatchStepRunner } from './batch-step-runner.service.js';
import { BatchSubmitter } from './batch-submitter.service.js';
import { buildSharedPrompt } from './shared-prompt.js';
import {
  usableAssessmentId,
  validateAssessmentRequest,
  type RequestRefusal,
} from './validate-assessment-request.js';

export type IntakeOutcome = 'started' | 'resumed' | 'duplicate' | 'conflict' | 'refused' | 'cancelled';

/**
 * Turns a CJAssessmentRequestedV1 into a running assessment: validate, design the pairs, store the assessment
 * (atomically, once per assessment id) and submit ALL pairs as one batch. A redelivered request finds the stored
 * assessment and at most finishes its interrupted submission.
 */
@Injectable()
export class AssessmentIntake {
  private readonly logger = new Logger(AssessmentIntake.name);

  constructor(
    private readonly repository: AssessmentRepository,
    private readonly submissions: AssessmentSubmissionRepository,
    private readonly submitter: BatchSubmitter,
    private readonly steps: BatchStepRunner,
    private readonly finalizer: AssessmentFinalizer,
    private readonly events: AssessmentEventPublisher,
    @Inject(CJ_SETTINGS) private readonly settings: CjSettings,
    @Optional() @Inject(STEP_HAND_OFF) private readonly handOff: StepHandOff = StepHandOff.inline(),
  ) {}

  async onRequested(received: EventEnvelope): Promise<IntakeOutcome> {
    if (received.event_type !== EVENT_TYPES.assessmentRequested) {
      return this.refuse(received, {
        reason_code: 'INVALID_REQUEST',
        message: `event_type must be ${EVENT_TYPES.assessmentRequested} on the request topic`,
        details: { field: 'event_type', problems: ['event_type: not an assessment request'] },
      });
    }
    const resolved = await this.withStoredEssays(received);
    if (resolved === 'duplicate') return 'duplicate';
    if ('refusal' in resolved) return this.refuse(received, resolved.refusal);
    const { envelope, fromStore } = resolved;
    const validation = validateAssessmentRequest(envelope.data, this.settings.requestDefaults);
    if (!validation.ok) return this.refuse(envelope, validation.refusal);
    const request = validation.request;

    let pairs: Pair[];
    try {
      pairs = generatePairs({
        essayIds: request.essays.map((e) => e.essay_id),
        // Adaptive: round 1 is the same balanced design at a small k; later rounds are planned from its results.
        comparisonsPerEssay: request.adaptive?.initial_comparisons_per_essay ?? request.comparisons_per_essay,
        seed: request.seed,
        bothOrders: request.both_orders,
      });
    } catch (err) {
      if (!(err instanceof CjScoringError)) throw err;
      return this.refuse(envelope, {
        reason_code: 'INVALID_REQUEST',
        message: err.message,
        details: { field: 'comparisons_per_essay', ...err.details },
      });
    }

    // The comparison service's limits, checked before anything is stored: work it would refuse is refused here.
    const sharedPrompt = buildSharedPrompt(request);
    const limits = this.settings.requestDefaults;
    if (pairs.length > limits.maxComparisons) {
      return this.refuse(envelope, {
        reason_code: 'INVALID_REQUEST',
        message: `${request.essays.length} essays at ${request.comparisons_per_essay} comparisons per essay make ${pairs.length} comparisons; at most ${limits.maxComparisons} fit in one batch`,
        details: {
          field: 'comparisons_per_essay',
          problems: [`comparisons_per_essay: ${pairs.length} comparisons`],
          max: limits.maxComparisons,
        },
      });
    }
    if (sharedPrompt.length > limits.maxPromptChars) {
      return this.refuse(envelope, {
        reason_code: 'INVALID_REQUEST',
        message: `assignment, criteria and instructions together may be at most ${limits.maxPromptChars} characters`,
        details: {
          field: 'assignment',
          problems: [`assignment: ${sharedPrompt.length} characters of shared prompt`],
        },
      });
    }

    const fresh = newAssessment(
      request,
      pairs.length,
      sharedPrompt,
      envelope.correlation_id,
      new Date(),
      this.settings.deadlineMs,
    );
    const { record, created } = await this.repository.create(fresh, request.essays, pairs);
    // The assessment holds its own copy of the essays now: the api's by-reference copy is no longer needed.
    if (fromStore) await this.submissions.dropRequestEssays(record.assessment_id, fromStore);
    if (!created && record.request_hash !== request.request_hash) {
      // Never mix two requests (and possibly two configs) into one assessment id.
      this.logger.warn({
        msg: 'conflicting request for an existing assessment ignored',
        assessment_id: record.assessment_id,
      });
      return 'conflict';
    }
    if (record.status === 'finalizing') {
      await this.finalizer.resume(record);
      return 'duplicate';
    }
    if (record.status !== 'active') return 'duplicate';
    const pending = record.batches.at(-1)?.status === 'submitting';
    if (!pending) return 'duplicate';
    const cancelRequestedAt = await this.repository.cancelRequestedAt(record.assessment_id);
    if (cancelRequestedAt) {
      // Cancelled over the API while the request was still in Kafka: end it before spending anything.
      await this.finalizer.fail(record.assessment_id, 'CANCELLED', CANCELLED_MESSAGE, 0, {
        cancel_requested_at: cancelRequestedAt,
      });
      await this.repository.dropPendingCancel(record.assessment_id);
      return 'cancelled';
    }
    if (created) {
      this.logger.log({
        msg: 'assessment started',
        assessment_id: record.assessment_id,
        essays: record.essay_ids.length,
        comparisons: record.pair_count,
      });
    }
    // The HTTP call (retried for minutes while the api is away) runs apart from the Kafka handler; the stored
    // 'submitting' attempt is what the resumer picks up if this process dies first.
    await this.handOff.run(record.assessment_id, () =>
      this.steps.submitOrFail(record.assessment_id, () => this.submitter.submitPending(record)),
    );
    return created ? 'started' : 'resumed';
  }

  /**
   * A REST assessment larger than one Kafka record arrives with `essays_ref` (the api stored the essays): the
   * event is rebuilt with its essays inline, so everything after (validation, request hash) is the same as for
   * an inline request. Gone essays mean a redelivery after the assessment took them over (a duplicate), or an
   * expired/forged reference (a refusal naming essays_ref).
   */
  private async withStoredEssays(
    envelope: EventEnvelope,
  ): Promise<
    { envelope: EventEnvelope; fromStore: CJEssaysRefV1 | null } | { refusal: RequestRefusal } | 'duplicate'
  > {
    const data = envelope.data as Record<string, unknown> | null;
    const ref = data && typeof data === 'object' ? (data.essays_ref as CJEssaysRefV1 | undefined) : undefined;
    if (ref === undefined) return { envelope, fromStore: null };
    const id = typeof data!.assessment_id === 'string' ? data!.assessment_id : '';
    const invalid = (message: string): { refusal: RequestRefusal } => ({
      refusal: { reason_code: 'INVALID_REQUEST', message, details: { problems: [`essays_ref: ${message}`] } },
    });
    if (
      !id ||
      typeof ref !== 'object' ||
      ref === null ||
      ref.store !== 'assessment-store' ||
      typeof ref.sha256 !== 'string' ||
      typeof ref.count !== 'number' ||
      (ref.upload_id !== undefined && (typeof ref.upload_id !== 'string' || typeof ref.parts !== 'number'))
    ) {
      return invalid('not a reference to stored essays');
    }
    if (Array.isArray(data!.essays) && data!.essays.length > 0) {
      return invalid('a request carries its essays inline or by reference, not both');
    }
    const essays = await this.submissions.loadRequestEssays(id, ref);
    if (essays === 'mismatch') return invalid('the stored essays do not match the reference');
    if (essays === null) {
      return (await this.repository.get(id))
        ? 'duplicate'
        : invalid('no stored essays (expired or never stored)');
    }
    const { essays_ref: _ref, ...rest } = data!;
    return { envelope: { ...envelope, data: { ...rest, essays } }, fromStore: ref };
  }

  private async refuse(envelope: EventEnvelope, refusal: RequestRefusal): Promise<IntakeOutcome> {
    // Only a well-formed id of no existing assessment is echoed: an invalid one may be huge or hostile, and a bad
    // request naming a running (or finished) assessment must not read as that assessment's outcome. Without it the
    // requester matches the failure by its correlation id.
    const requestedId = usableAssessmentId(envelope.data);
    const existing = requestedId ? await this.repository.get(requestedId) : null;
    const assessmentId = existing ? '' : requestedId;
    this.logger.warn({
      msg: 'assessment request refused',
      assessment_id: requestedId,
      reason_code: refusal.reason_code,
      field: refusal.details.field,
    });
    const data: CJAssessmentFailedV1 = {
      assessment_id: assessmentId,
      reason_code: refusal.reason_code,
      message: refusal.message,
      details: refusal.details,
      batches: [],
      provider: null,
      model: null,
      comparisons_requested: 0,
      comparisons_succeeded: 0,
      comparisons_failed: 0,
      correlation_id: envelope.correlation_id,
    };
    // A request submitted over the API shows its refusal there too (no assessment state exists for it).
    if (assessmentId) await this.submissions.recordRefusal(assessmentId, data);
    await this.events.publish(this.events.failedEnvelope(data, `:refused:${envelope.event_id}`));
    return 'refused';
  }
}
