import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import {
  BatchAcceptedDto,
  BatchCompletedDto,
  BatchResultsPageDto,
  BatchStatusDto,
  ComparisonBatchRequestDto,
  EssayBatchRequestDto,
  ResultsPageQueryDto,
} from '#contracts';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { Principal } from '../auth/principal.decorator.js';
import { API_PREFIX } from '../config/api-settings.js';
import { ApiStandardErrors, ApiSubmissionHeaders } from './api-docs.decorators.js';
import { BatchQueryService } from './batch-query.service.js';
import { BatchSubmissionService } from './batch-submission.service.js';
import { respond } from './http-outcome.js';
import { idParamPipe } from './id-param.pipe.js';
import { EssayOrInlineBodyPipe, type BatchRequestBody } from './batch-body.pipe.js';

@ApiTags('comparison batches')
@ApiStandardErrors()
@Controller(`${API_PREFIX}/comparison/batch`)
export class BatchController {
  constructor(
    private readonly submissions: BatchSubmissionService,
    private readonly queries: BatchQueryService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Submit comparisons as one batch',
    description:
      'Two forms, one per request: comparisons with their essays inline, or the essay-referencing form (`essays` ' +
      'once, `comparisons` by essay id, one batch-level `user_prompt`). A batch too large for one body is ' +
      'uploaded in parts: POST /comparison/batch/uploads.',
  })
  @ApiExtraModels(ComparisonBatchRequestDto, EssayBatchRequestDto)
  @ApiBody({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(ComparisonBatchRequestDto) },
        { $ref: getSchemaPath(EssayBatchRequestDto) },
      ],
    },
  })
  @ApiSubmissionHeaders()
  @ApiAcceptedResponse({ type: BatchAcceptedDto })
  @ApiOkResponse({ type: BatchCompletedDto, description: 'Every result was ready within Prefer: wait' })
  @ApiStandardErrors(400, 409, 413, 415, 503)
  async submit(
    @Principal() principal: ApiPrincipal,
    @Body(EssayOrInlineBodyPipe) body: BatchRequestBody,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<BatchAcceptedDto | BatchCompletedDto> {
    return respond(res, await this.submissions.submitBatch(principal, body, { idempotencyKey, prefer }));
  }

  @Get(':batch_id')
  @ApiOperation({ summary: 'Status, counts, provider, timings and cost of a batch' })
  @ApiOkResponse({ type: BatchStatusDto })
  @ApiStandardErrors(400, 404)
  status(
    @Principal() principal: ApiPrincipal,
    @Param('batch_id', idParamPipe('batch_id')) batchId: string,
  ): Promise<BatchStatusDto> {
    return this.queries.batchStatus(principal, batchId);
  }

  @Get(':batch_id/results')
  @ApiOperation({ summary: 'A page of finished results, in input order' })
  @ApiOkResponse({ type: BatchResultsPageDto })
  @ApiStandardErrors(400, 404)
  results(
    @Principal() principal: ApiPrincipal,
    @Param('batch_id', idParamPipe('batch_id')) batchId: string,
    @Query() query: ResultsPageQueryDto,
  ): Promise<BatchResultsPageDto> {
    return this.queries.resultsPage(principal, batchId, query.offset ?? 0, query.limit);
  }

  @Post(':batch_id/cancel')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Cancel a batch (the worker cancels the provider batch and keeps finished results)',
  })
  @ApiAcceptedResponse({ type: BatchStatusDto })
  @ApiOkResponse({ type: BatchStatusDto, description: 'Already canceled' })
  @ApiStandardErrors(400, 404, 409)
  async cancel(
    @Principal() principal: ApiPrincipal,
    @Param('batch_id', idParamPipe('batch_id')) batchId: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<BatchStatusDto> {
    return respond(res, await this.queries.cancel(principal, batchId));
  }
}
