import { Body, Controller, Get, HttpCode, Param, Post, Put, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  AssessmentAcceptedDto,
  AssessmentUploadCreateDto,
  AssessmentUploadDto,
  AssessmentUploadPartDto,
} from '#contracts';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { Principal } from '../auth/principal.decorator.js';
import { ApiStandardErrors } from '../comparison/api-docs.decorators.js';
import { respond } from '../comparison/http-outcome.js';
import { idParamPipe } from '../comparison/id-param.pipe.js';
import { bodyBytes, PART_NUMBER_PIPE } from '../comparison/upload-parts.js';
import { API_PREFIX } from '../config/api-settings.js';
import {
  AssessmentUploadHeaderPipe,
  type ValidatedAssessmentUploadHeader,
} from '../validation/assessment-request.validator.js';
import { AssessmentUploadService } from './assessment-upload.service.js';

@ApiTags('assessments')
@ApiStandardErrors()
@Controller(`${API_PREFIX}/assessments/uploads`)
export class AssessmentUploadController {
  constructor(private readonly uploads: AssessmentUploadService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Open a multi-part upload of one large assessment (everything but the essays)',
    description:
      'The body of POST /api/v1/assessments without `essays`, validated in full (config, prompts, k, design, ' +
      'assessment_id not in use). Then PUT pages of essays (each body ≤ UPLOAD_PART_MAX_BYTES) and POST ' +
      '.../seal. Nothing is processed before the seal; an upload not sealed within UPLOAD_TTL_SECONDS is deleted.',
  })
  @ApiBody({ type: AssessmentUploadCreateDto })
  @ApiCreatedResponse({ type: AssessmentUploadDto })
  @ApiStandardErrors(400, 409, 413, 415, 503)
  create(
    @Principal() principal: ApiPrincipal,
    @Body(AssessmentUploadHeaderPipe) body: ValidatedAssessmentUploadHeader,
  ): Promise<AssessmentUploadDto> {
    return this.uploads.create(principal, body);
  }

  @Get(':upload_id')
  @ApiOperation({
    summary: 'State of an assessment upload: parts and essays received; the assessment once sealed',
  })
  @ApiOkResponse({ type: AssessmentUploadDto })
  @ApiStandardErrors(400, 404)
  status(
    @Principal() principal: ApiPrincipal,
    @Param('upload_id', idParamPipe('upload_id')) uploadId: string,
  ): Promise<AssessmentUploadDto> {
    return this.uploads.status(principal, uploadId);
  }

  @Put(':upload_id/parts/:part_number')
  @ApiOperation({
    summary: 'Store one page of essays (sending the same part number again replaces it)',
    description:
      'Each essay is checked as in the one-body form, fields named with the index within the part ' +
      '(`essays[3].text`); an essay_id another part holds is a 400. The assessment lists essays in ' +
      'part-number order, then in order within a part.',
  })
  @ApiBody({ type: AssessmentUploadPartDto })
  @ApiOkResponse({ type: AssessmentUploadDto })
  @ApiStandardErrors(400, 404, 409, 413, 415)
  putPart(
    @Principal() principal: ApiPrincipal,
    @Param('upload_id', idParamPipe('upload_id')) uploadId: string,
    @Param('part_number', PART_NUMBER_PIPE) partNumber: number,
    @Body() body: unknown,
    @Req() req: Request,
  ): Promise<AssessmentUploadDto> {
    return this.uploads.putPart(principal, uploadId, partNumber, body, bodyBytes(req, req.body));
  }

  @Post(':upload_id/seal')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Seal: check the whole assessment and start it; answers what POST /api/v1/assessments answers',
    description:
      'Checks the totals (2 ≤ essays ≤ MAX_ESSAYS_PER_BATCH), the design size and the quote against ' +
      'max_cost_usd, then hands the assessment to the assessment service with its essays by reference. A seal ' +
      'refused for its content leaves the upload open (add or replace parts); repeating a seal is idempotent.',
  })
  @ApiAcceptedResponse({ type: AssessmentAcceptedDto })
  @ApiStandardErrors(400, 404, 409, 422, 503)
  async seal(
    @Principal() principal: ApiPrincipal,
    @Param('upload_id', idParamPipe('upload_id')) uploadId: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AssessmentAcceptedDto> {
    return respond(res, await this.uploads.seal(principal, uploadId));
  }
}
