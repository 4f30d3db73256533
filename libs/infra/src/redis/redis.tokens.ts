/** Injection token of the shared ioredis connection for commands (repositories, BullMQ producers). */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
/** A connection with no offline queue: a PING fails at once while Redis is unreachable (readiness probe). */
export const REDIS_PROBE_CLIENT = Symbol('REDIS_PROBE_CLIENT');
/** The RedisTarget every app connection is made from (BullMQ connections, tests). */
export const REDIS_TARGET = Symbol('REDIS_TARGET');
