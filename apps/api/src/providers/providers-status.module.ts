import { Module } from '@nestjs/common';
import { ProvidersController } from './providers.controller.js';
import { ProvidersStatusService } from './providers-status.service.js';

@Module({ controllers: [ProvidersController], providers: [ProvidersStatusService] })
export class ProvidersStatusModule {}
