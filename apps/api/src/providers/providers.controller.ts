import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProvidersResponseDto } from '#contracts';
import { API_PREFIX } from '../config/api-settings.js';
import { ApiStandardErrors } from '../comparison/api-docs.decorators.js';
import { ProvidersStatusService } from './providers-status.service.js';

@ApiTags('providers')
@ApiStandardErrors()
@Controller(`${API_PREFIX}/providers`)
export class ProvidersController {
  constructor(private readonly status: ProvidersStatusService) {}

  @Get()
  @ApiOperation({ summary: 'Configured/available state and circuit state of each provider' })
  @ApiOkResponse({ type: ProvidersResponseDto })
  list(): Promise<ProvidersResponseDto> {
    return this.status.list();
  }
}
