import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchRepository, isTerminal, type BatchRecord } from '#batch-store';
import { API_SETTINGS, type ApiSettings } from '../config/api-settings.js';

/** Holds a request open (Prefer: wait=N) until the batch reaches a terminal status or the time is up. */
@Injectable()
export class BatchWaiter {
  constructor(
    private readonly repository: BatchRepository,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
  ) {}

  /** The record once terminal, or null when `seconds` passed first (or the batch vanished). */
  async waitForTerminal(batchId: string, seconds: number): Promise<BatchRecord | null> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      const record = await this.repository.get(batchId);
      if (!record) return null;
      if (isTerminal(record.status)) return record;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      await sleep(Math.min(this.settings.preferWaitPollMs, remaining));
    }
  }
}
