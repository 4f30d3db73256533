import { Body, Controller, Get, HttpCode, Param, Post, Put, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { BatchAcceptedDto, BatchUploadCreateDto, BatchUploadDto, BatchUploadPartDto } from '#contracts';
import type { ApiPrincipal } from '../auth/api-principal.js';
import { Principal } from '../auth/principal.decorator.js';
import { API_PREFIX } from '../config/api-settings.js';
import { ApiStandardErrors } from './api-docs.decorators.js';
import { BatchUploadService } from './batch-upload.service.js';
import { respond } from './http-outcome.js';
import { idParamPipe } from './id-param.pipe.js';
import { bodyBytes, PART_NUMBER_PIPE } from './upload-parts.js';

@ApiTags('comparison batches')
@ApiStandardErrors()
@Controller(`${API_PREFIX}/comparison/batch/uploads`)
export class BatchUploadController {
  constructor(private readonly uploads: BatchUploadService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Open a multi-part upload of one large batch (essay-referencing form)',
    description:
      'Then PUT parts (essays and/or comparisons, each body ≤ UPLOAD_PART_MAX_BYTES) and POST .../seal. Nothing ' +
      'is processed before the seal; an upload not sealed within UPLOAD_TTL_SECONDS is deleted.',
  })
  @ApiCreatedResponse({ type: BatchUploadDto })
  @ApiStandardErrors(400, 413, 415)
  create(@Principal() principal: ApiPrincipal, @Body() body: BatchUploadCreateDto): Promise<BatchUploadDto> {
    return this.uploads.create(principal, body);
  }

  @Get(':upload_id')
  @ApiOperation({
    summary: 'State of an upload: parts, essays and comparisons received; the batch once sealed',
  })
  @ApiOkResponse({ type: BatchUploadDto })
  @ApiStandardErrors(400, 404)
  status(
    @Principal() principal: ApiPrincipal,
    @Param('upload_id', idParamPipe('upload_id')) uploadId: string,
  ): Promise<BatchUploadDto> {
    return this.uploads.status(principal, uploadId);
  }

  @Put(':upload_id/parts/:part_number')
  @ApiOperation({
    summary: 'Store one part (sending the same part number again replaces it)',
    description: 'Comparisons are listed in part-number order, then in order within a part.',
  })
  @ApiOkResponse({ type: BatchUploadDto })
  @ApiStandardErrors(400, 404, 409, 413, 415)
  putPart(
    @Principal() principal: ApiPrincipal,
    @Param('upload_id', idParamPipe('upload_id')) uploadId: string,
    @Param('part_number', PART_NUMBER_PIPE) partNumber: number,
    @Body() body: BatchUploadPartDto,
    @Req() req: Request,
  ): Promise<BatchUploadDto> {
    return this.uploads.putPart(principal, uploadId, partNumber, body, bodyBytes(req, req.body));
  }

  @Post(':upload_id/seal')
  @HttpCode(202)
  @ApiOperation({ summary: 'Seal: check the whole batch and create it (same id as the upload); repeatable' })
  @ApiAcceptedResponse({ type: BatchAcceptedDto })
  @ApiStandardErrors(400, 404, 409)
  async seal(
    @Principal() principal: ApiPrincipal,
    @Param('upload_id', idParamPipe('upload_id')) uploadId: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<BatchAcceptedDto> {
    return respond(res, await this.uploads.seal(principal, uploadId));
  }
}
