import { Module, type DynamicModule } from '@nestjs/common';
import {
  AssessmentRepository,
  AssessmentSubmissionRepository,
  AssessmentUploadRepository,
} from '#assessment-store';
import { KafkaEventPublisher } from '#infra';
import { ComparisonModule } from '../comparison/comparison.module.js';
import { AssessmentController } from './assessment.controller.js';
import { AssessmentQueryService } from './assessment-query.service.js';
import { AssessmentRequestPublisher } from './assessment-request.publisher.js';
import { AssessmentSubmissionService } from './assessment-submission.service.js';
import { AssessmentUploadController } from './assessment-upload.controller.js';
import { AssessmentUploadService } from './assessment-upload.service.js';

export interface AssessmentModuleOptions {
  kafkaBrokers: string[];
}

/**
 * Assessments over REST: reads cj-integration's state through libs/assessment-store (Redis, REDIS_CLIENT from the
 * platform module) and hands new requests over through Kafka, like every other producer.
 */
@Module({})
export class AssessmentModule {
  static forRoot(options: AssessmentModuleOptions): DynamicModule {
    return {
      module: AssessmentModule,
      imports: [ComparisonModule],
      // The upload routes first: `uploads` must not be read as an assessment id.
      controllers: [AssessmentUploadController, AssessmentController],
      providers: [
        {
          provide: KafkaEventPublisher,
          useFactory: () =>
            new KafkaEventPublisher({ brokers: options.kafkaBrokers, clientId: 'api-assessments' }),
        },
        AssessmentRepository,
        AssessmentSubmissionRepository,
        AssessmentRequestPublisher,
        AssessmentSubmissionService,
        AssessmentQueryService,
        AssessmentUploadRepository,
        AssessmentUploadService,
      ],
    };
  }
}
