import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AssessmentSubmitDto, ComparisonBatchRequestDto, CostQuoteDto } from '#contracts';
import { ApiStandardErrors } from '../comparison/api-docs.decorators.js';
import { RequestCapsPipe } from '../comparison/request-caps.pipe.js';
import { API_PREFIX } from '../config/api-settings.js';
import { CostQuoteService } from './cost-quote.service.js';

/** Cost before you spend: the same body as the submission, answered with a quote; nothing is stored. */
@ApiTags('quotes')
@ApiStandardErrors()
@Controller(API_PREFIX)
export class QuoteController {
  constructor(private readonly quotes: CostQuoteService) {}

  @Post('comparison/batch/quote')
  @HttpCode(200)
  @ApiOperation({ summary: 'Estimated tokens and cost (batch and individual) of a batch; stores nothing' })
  @ApiOkResponse({ type: CostQuoteDto })
  @ApiStandardErrors(400, 413, 415)
  quoteBatch(@Body(RequestCapsPipe) body: ComparisonBatchRequestDto): Promise<CostQuoteDto> {
    return this.quotes.quoteBatch(body);
  }

  @Post('assessments/quote')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Estimated tokens and cost of an assessment (its whole pair design); stores nothing',
  })
  @ApiOkResponse({ type: CostQuoteDto })
  @ApiStandardErrors(400, 413, 415)
  quoteAssessment(@Body(RequestCapsPipe) body: AssessmentSubmitDto): Promise<CostQuoteDto> {
    return this.quotes.quoteAssessment(body);
  }
}
