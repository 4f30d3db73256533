import type { Response } from 'express';

/** What a service decided to answer when the status depends on the outcome (200 vs 202). */
export interface HttpOutcome<T> {
  status: number;
  body: T;
  headers?: Record<string, string>;
}

/** Applies status and headers to a passthrough response and hands back the body for Nest to serialise. */
export function respond<T>(res: Response, outcome: HttpOutcome<T>): T {
  res.status(outcome.status);
  for (const [name, value] of Object.entries(outcome.headers ?? {})) res.setHeader(name, value);
  return outcome.body;
}
