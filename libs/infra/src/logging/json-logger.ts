import type { LoggerService } from '@nestjs/common';
import type { LogLevel } from '../config/common-env.js';
import { CorrelationContext } from './correlation-context.js';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, verbose: 4 };

type Sink = (line: string) => void;

/**
 * Structured JSON logs, one object per line, with the correlation id of the current context. Nest's logger
 * calls pass (message, ...optionalParams) where the last string is the context; objects are merged as fields.
 */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly service: string,
    private readonly level: LogLevel = 'info',
    private readonly sink: Sink = (line) => process.stdout.write(line + '\n'),
  ) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }

  private write(level: LogLevel, message: unknown, params: unknown[]): void {
    if (RANK[level] > RANK[this.level]) return;
    const entry: Record<string, unknown> = {
      ts: new Date().toISOString(),
      level,
      service: this.service,
    };
    const rest = [...params];
    if (rest.length > 0 && typeof rest[rest.length - 1] === 'string') entry.context = rest.pop();
    for (const param of rest) {
      if (param instanceof Error)
        entry.error = { name: param.name, message: param.message, stack: param.stack };
      else if (typeof param === 'string') entry.stack = param;
      else if (param && typeof param === 'object') Object.assign(entry, param);
    }
    if (message instanceof Error) {
      entry.msg = message.message;
      entry.error = { name: message.name, message: message.message, stack: message.stack };
    } else if (message && typeof message === 'object') {
      Object.assign(entry, message);
    } else {
      entry.msg = String(message);
    }
    const correlationId = CorrelationContext.current();
    if (correlationId && entry.correlation_id === undefined) entry.correlation_id = correlationId;
    const caller = CorrelationContext.caller();
    if (caller && entry.tenant_id === undefined) Object.assign(entry, caller);
    this.sink(JSON.stringify(entry));
  }
}
