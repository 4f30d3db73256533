import { ApiProperty } from '@nestjs/swagger';
import { PROVIDER_NAMES, type ProviderName } from '../comparison/comparison.types.js';

export class ModelRetirementDto {
  @ApiProperty({ enum: ['active', 'near_retirement', 'retired'] }) state:
    'active' | 'near_retirement' | 'retired';
  @ApiProperty({ type: String, nullable: true, description: 'Shutdown date (YYYY-MM-DD)' }) retires_on:
    string | null;
  @ApiProperty({ type: Number, nullable: true }) days_left: number | null;
  @ApiProperty({ type: String, nullable: true }) replacement: string | null;
}

export class ProviderStatusDto {
  @ApiProperty({ enum: PROVIDER_NAMES }) name: ProviderName;
  @ApiProperty({ description: 'Credentials present (the mock needs none)' }) configured: boolean;
  @ApiProperty({ description: 'Configured and its circuit is not open: requests for it are accepted' })
  available: boolean;
  @ApiProperty({ enum: ['closed', 'half_open', 'open'] }) circuit_state: 'closed' | 'half_open' | 'open';
  @ApiProperty({ description: 'Batches use the provider batch API (else capped individual calls)' })
  batch_enabled: boolean;
  @ApiProperty() default_model: string;
  @ApiProperty({
    type: () => ModelRetirementDto,
    nullable: true,
    description:
      'Lifecycle of the default model from the model catalog (near_retirement: within 30 days); null when unlisted',
  })
  default_model_retirement: ModelRetirementDto | null;
}

/** GET /providers. */
export class ProvidersResponseDto {
  @ApiProperty({ enum: PROVIDER_NAMES }) default_provider: ProviderName;
  @ApiProperty({ type: () => [ProviderStatusDto] }) providers: ProviderStatusDto[];
}
