import { ApiProperty } from '@nestjs/swagger';
import { PROVIDER_NAMES, type ProviderName } from '../comparison/comparison.types.js';

/**
 * What a request is expected to use and cost before anything is spent (POST …/quote, and stored beside the
 * actual cost of the batch or assessment). Tokens are estimated from the text; prices come from the model catalog.
 */
export interface CostQuote {
  provider: ProviderName;
  model: string;
  comparisons: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** All comparisons at the provider's batch price; null when the model has no known price. */
  batch_cost_usd: number | null;
  /** The same comparisons as individual requests; null when the model has no known price. */
  individual_cost_usd: number | null;
  /** Whether the provider's batch API will be used on this deployment (else capped individual calls). */
  batch_api: boolean;
  /** What this request is expected to cost: the batch price when the batch API is used, else individual. */
  estimated_cost_usd: number | null;
  /** How the tokens were estimated. */
  method: string;
}

export class CostQuoteDto implements CostQuote {
  @ApiProperty({ enum: PROVIDER_NAMES }) provider: ProviderName;
  @ApiProperty() model: string;
  @ApiProperty() comparisons: number;
  @ApiProperty({ description: 'Estimated input tokens of all comparisons' }) prompt_tokens: number;
  @ApiProperty({ description: 'Estimated output tokens of all comparisons' }) completion_tokens: number;
  @ApiProperty() total_tokens: number;
  @ApiProperty({ nullable: true, type: Number, description: 'At the batch price; null = no known price' })
  batch_cost_usd: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'As individual requests; null = no known price' })
  individual_cost_usd: number | null;
  @ApiProperty({ description: 'Whether the provider batch API will be used (else individual calls)' })
  batch_api: boolean;
  @ApiProperty({ nullable: true, type: Number, description: 'What this request is expected to cost' })
  estimated_cost_usd: number | null;
  @ApiProperty({ description: 'How the tokens were estimated' }) method: string;
}
