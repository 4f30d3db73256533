import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import {
  AssessmentSubmitDto,
  ComparisonBatchRequestDto,
  CostQuoteDto,
  EssayBatchRequestDto,
} from '#contracts';
import { ApiStandardErrors } from '../comparison/api-docs.decorators.js';
import { EssayOrInlineBodyPipe, type BatchRequestBody } from '../comparison/batch-body.pipe.js';
import {
  AssessmentBodyPipe,
  type ValidatedAssessmentRequest,
} from '../validation/assessment-request.validator.js';
import { API_PREFIX } from '../config/api-settings.js';
import { CostQuoteService } from './cost-quote.service.js';

/**
 * Cost before you spend: the same body as the submission, checked by the same validators (linear, caps before
 * per-item work, 400 naming the field), answered with a quote; nothing is stored.
 */
@ApiTags('quotes')
@ApiStandardErrors()
@Controller(API_PREFIX)
export class QuoteController {
  constructor(private readonly quotes: CostQuoteService) {}

  @Post('comparison/batch/quote')
  @HttpCode(200)
  @ApiOperation({ summary: 'Estimated tokens and cost (batch and individual) of a batch; stores nothing' })
  @ApiExtraModels(ComparisonBatchRequestDto, EssayBatchRequestDto)
  @ApiBody({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(ComparisonBatchRequestDto) },
        { $ref: getSchemaPath(EssayBatchRequestDto) },
      ],
    },
  })
  @ApiOkResponse({ type: CostQuoteDto })
  @ApiStandardErrors(400, 413, 415)
  quoteBatch(@Body(EssayOrInlineBodyPipe) body: BatchRequestBody): Promise<CostQuoteDto> {
    return this.quotes.quoteBatch(body);
  }

  @Post('assessments/quote')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Estimated tokens and cost of an assessment (its whole pair design); stores nothing',
  })
  @ApiBody({ type: AssessmentSubmitDto })
  @ApiOkResponse({ type: CostQuoteDto })
  @ApiStandardErrors(400, 413, 415)
  quoteAssessment(@Body(AssessmentBodyPipe) body: ValidatedAssessmentRequest): Promise<CostQuoteDto> {
    return this.quotes.quoteAssessment(body);
  }
}
