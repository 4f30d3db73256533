/** BullMQ queue names. Individual requests and batch jobs each have their own queue. */
export const QUEUES = {
  comparisons: 'llm-comparisons',
  batches: 'llm-batches',
  events: 'llm-events',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Priority of the individual endpoint: 0–10, higher is sooner (BullMQ itself uses lower = sooner). */
export const PRIORITY = { min: 0, max: 10, default: 5, cj: 8 } as const;
