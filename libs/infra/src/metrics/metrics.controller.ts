import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AppMetrics } from './app-metrics.js';

/** `GET /metrics` in the Prometheus text format. Whether it needs the API key is the app's decision (its guard). */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: AppMetrics) {}

  @Get()
  async scrape(@Res() res: Response): Promise<void> {
    const { contentType, body } = await this.metrics.render();
    res.setHeader('Content-Type', contentType);
    res.send(body);
  }
}
