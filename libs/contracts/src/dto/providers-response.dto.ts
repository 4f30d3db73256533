import { ApiProperty } from '@nestjs/swagger';
import { PROVIDER_NAMES, type ProviderName } from '../comparison/comparison.types.js';

export class ProviderStatusDto {
  @ApiProperty({ enum: PROVIDER_NAMES }) name: ProviderName;
  @ApiProperty({ description: 'Credentials present (the mock needs none)' }) configured: boolean;
  @ApiProperty({ description: 'Configured and its circuit is not open: requests for it are accepted' })
  available: boolean;
  @ApiProperty({ enum: ['closed', 'half_open', 'open'] }) circuit_state: 'closed' | 'half_open' | 'open';
  @ApiProperty({ description: 'Batches use the provider batch API (else capped individual calls)' })
  batch_enabled: boolean;
  @ApiProperty() default_model: string;
}

/** GET /providers. */
export class ProvidersResponseDto {
  @ApiProperty({ enum: PROVIDER_NAMES }) default_provider: ProviderName;
  @ApiProperty({ type: () => [ProviderStatusDto] }) providers: ProviderStatusDto[];
}
