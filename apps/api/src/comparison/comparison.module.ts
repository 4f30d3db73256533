import { Module } from '@nestjs/common';
import { BatchController } from './batch.controller.js';
import { BatchUploadController } from './batch-upload.controller.js';
import { BatchUploadService } from './batch-upload.service.js';
import { BatchQueryService } from './batch-query.service.js';
import { BatchSubmissionService } from './batch-submission.service.js';
import { BatchWaiter } from './batch-waiter.js';
import { ComparisonController } from './comparison.controller.js';
import { DirectRunner } from './direct-runner.js';
import { ProviderSelectionService } from './provider-selection.service.js';
import { SingleAdmission } from './single-admission.js';
import { CostQuoteService } from '../quote/cost-quote.service.js';
import { QuoteController } from '../quote/quote.controller.js';
import { CallbackTopicPolicy } from '../topics/callback-topic.policy.js';
import { ComparisonRequestValidator } from '../validation/comparison-request.validator.js';
import { EssayBatchValidator } from '../validation/essay-batch.validator.js';
import {
  AssessmentBodyPipe,
  AssessmentRequestValidator,
  AssessmentUploadHeaderPipe,
} from '../validation/assessment-request.validator.js';
import { BatchBodyPipe, SingleBodyPipe } from '../validation/validated-body.pipe.js';

/**
 * Individual and batch comparison routes. Needs, from global modules: BatchRepository, BatchQueues, IndividualLane
 * and ProviderPauseStore (storage),
 * ProviderRegistry and PROVIDERS_CONFIG (LlmProvidersModule), API_SETTINGS, TOPIC_DIRECTORY (ApiTopicsModule).
 */
@Module({
  controllers: [BatchUploadController, BatchController, ComparisonController, QuoteController],
  providers: [
    BatchSubmissionService,
    BatchUploadService,
    BatchQueryService,
    BatchWaiter,
    DirectRunner,
    ProviderSelectionService,
    SingleAdmission,
    ComparisonRequestValidator,
    EssayBatchValidator,
    BatchBodyPipe,
    SingleBodyPipe,
    AssessmentRequestValidator,
    AssessmentBodyPipe,
    AssessmentUploadHeaderPipe,
    CostQuoteService,
    CallbackTopicPolicy,
  ],
  exports: [
    ProviderSelectionService,
    SingleAdmission,
    CostQuoteService,
    AssessmentRequestValidator,
    AssessmentBodyPipe,
    AssessmentUploadHeaderPipe,
  ],
})
export class ComparisonModule {}
