import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import {
  AssessmentAcceptedDto,
  AssessmentJudgementsPageDto,
  AssessmentStatusDto,
  AssessmentSubmitDto,
  ResultsPageQueryDto,
} from '#contracts';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { Principal } from '../auth/principal.decorator.js';
import { ApiStandardErrors } from '../comparison/api-docs.decorators.js';
import { respond } from '../comparison/http-outcome.js';
import { API_PREFIX } from '../config/api-settings.js';
import {
  AssessmentBodyPipe,
  type ValidatedAssessmentRequest,
} from '../validation/assessment-request.validator.js';
import { AssessmentIdPipe } from './assessment-id.pipe.js';
import { AssessmentQueryService } from './assessment-query.service.js';
import { renderAssessmentReport } from './assessment-report.js';
import { AssessmentSubmissionService } from './assessment-submission.service.js';

/** The report embeds nothing from elsewhere: no script, no fetch, inline styles and SVG only. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

@ApiTags('assessments')
@ApiStandardErrors()
@Controller(`${API_PREFIX}/assessments`)
export class AssessmentController {
  constructor(
    private readonly submissions: AssessmentSubmissionService,
    private readonly queries: AssessmentQueryService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Start a comparative-judgement assessment (CJAssessmentRequestedV1 data); ranked by cj-integration',
  })
  @ApiBody({ type: AssessmentSubmitDto })
  @ApiAcceptedResponse({ type: AssessmentAcceptedDto })
  @ApiStandardErrors(400, 409, 413, 415, 422, 503)
  async submit(
    @Principal() principal: ApiPrincipal,
    @Body(AssessmentBodyPipe) body: ValidatedAssessmentRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AssessmentAcceptedDto> {
    return respond(res, await this.submissions.submit(principal, body));
  }

  @Get(':assessment_id')
  @ApiOperation({ summary: 'Status, progress, ranking with reliability and position effect, cost vs quote' })
  @ApiOkResponse({ type: AssessmentStatusDto })
  @ApiStandardErrors(400, 404)
  status(
    @Principal() principal: ApiPrincipal,
    @Param('assessment_id', AssessmentIdPipe) id: string,
  ): Promise<AssessmentStatusDto> {
    return this.queries.status(principal, id);
  }

  @Get(':assessment_id/judgements')
  @ApiOperation({ summary: 'A page of judgements in pair order (pending, judged or failed)' })
  @ApiOkResponse({ type: AssessmentJudgementsPageDto })
  @ApiStandardErrors(400, 404)
  judgements(
    @Principal() principal: ApiPrincipal,
    @Param('assessment_id', AssessmentIdPipe) id: string,
    @Query() query: ResultsPageQueryDto,
  ): Promise<AssessmentJudgementsPageDto> {
    return this.queries.judgements(principal, id, query.offset ?? 0, query.limit);
  }

  @Get(':assessment_id/report')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', REPORT_CSP)
  @ApiOperation({
    summary: 'A self-contained HTML report (ranking, score chart, reliability, position effect, cost)',
    description:
      'Needs the same `Authorization: Bearer <key>` header as every route: open it with a client that sends ' +
      'the header (curl -H … -o report.html, or a browser extension that adds headers), or use ' +
      '`npm run demo -- --open-report`, which saves it to a file.',
  })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'text/html', schema: { type: 'string' } })
  @ApiStandardErrors(400, 404)
  async report(
    @Principal() principal: ApiPrincipal,
    @Param('assessment_id', AssessmentIdPipe) id: string,
  ): Promise<string> {
    return renderAssessmentReport(await this.queries.status(principal, id));
  }

  @Post(':assessment_id/cancel')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Cancel: cj-integration cancels the batch and ends the assessment as failed (CANCELLED)',
  })
  @ApiAcceptedResponse({ type: AssessmentStatusDto })
  @ApiOkResponse({ type: AssessmentStatusDto, description: 'Already cancelled' })
  @ApiStandardErrors(400, 404, 409)
  async cancel(
    @Principal() principal: ApiPrincipal,
    @Param('assessment_id', AssessmentIdPipe) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AssessmentStatusDto> {
    return respond(res, await this.queries.cancel(principal, id));
  }
}
