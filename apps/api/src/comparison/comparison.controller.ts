import { Body, Controller, Get, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ComparisonAcceptedDto, ComparisonRequestDto, ComparisonStatusDto } from '#contracts';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { Principal } from '../auth/principal.decorator.js';
import { API_PREFIX } from '../config/api-settings.js';
import { ApiStandardErrors, ApiSubmissionHeaders } from './api-docs.decorators.js';
import { BatchQueryService } from './batch-query.service.js';
import { BatchSubmissionService } from './batch-submission.service.js';
import { respond } from './http-outcome.js';
import { idParamPipe } from './id-param.pipe.js';
import { Admitted, type EarlyAdmission } from './single-admission.js';
import type { ValidatedSingleRequest } from '../validation/comparison-request.validator.js';
import { SingleBodyPipe } from '../validation/validated-body.pipe.js';

/** The individual endpoint existing clients use: one comparison on its own priority queue. */
@ApiTags('individual comparisons')
@ApiStandardErrors()
@Controller(`${API_PREFIX}/comparison`)
export class ComparisonController {
  constructor(
    private readonly submissions: BatchSubmissionService,
    private readonly queries: BatchQueryService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue one comparison (priority 0–10, default 5)' })
  @ApiSubmissionHeaders()
  @ApiBody({ type: ComparisonRequestDto })
  @ApiAcceptedResponse({ type: ComparisonAcceptedDto })
  @ApiOkResponse({ type: ComparisonStatusDto, description: 'The result was ready within Prefer: wait' })
  @ApiStandardErrors(400, 409, 413, 415, 503)
  async submit(
    @Principal() principal: ApiPrincipal,
    @Body(SingleBodyPipe) body: ValidatedSingleRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) res: Response,
    @Admitted() early: Promise<EarlyAdmission | undefined> | undefined,
  ): Promise<ComparisonAcceptedDto | ComparisonStatusDto> {
    return respond(
      res,
      await this.submissions.submitSingle(principal, body, { idempotencyKey, prefer }, early),
    );
  }

  @Get(':queue_id')
  @ApiOperation({ summary: 'Status and, once finished, the result of one comparison' })
  @ApiOkResponse({ type: ComparisonStatusDto })
  @ApiStandardErrors(400, 404)
  status(
    @Principal() principal: ApiPrincipal,
    @Param('queue_id', idParamPipe('queue_id')) queueId: string,
  ): Promise<ComparisonStatusDto> {
    return this.queries.comparisonStatus(principal, queueId);
  }
}
