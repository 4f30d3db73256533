import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { coalesceWritesPerTick } from './tick-write-coalescer.js';

/**
 * Where Redis is: one server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES, seed nodes; credentials and TLS
 * still come from REDIS_URL). Every connection of every app is made from this, so one setting switches all of
 * them (repositories, BullMQ queues and workers, the readiness probe, subscribers).
 */
export interface RedisTarget {
  url: string;
  /** Seed nodes of a Redis Cluster; empty for a single server. */
  clusterNodes: Array<{ host: string; port: number }>;
}

/** Parses REDIS_CLUSTER_NODES (`host:port[,host:port...]`, empty for none); validated by CommonEnv. */
export function parseClusterNodes(value: string | undefined): Array<{ host: string; port: number }> {
  if (!value || value.trim() === '') return [];
  return value.split(',').map((entry) => {
    const at = entry.trim().lastIndexOf(':');
    return { host: entry.trim().slice(0, at), port: Number(entry.trim().slice(at + 1)) };
  });
}

export function redisTargetFrom(env: { REDIS_URL: string; REDIS_CLUSTER_NODES?: string }): RedisTarget {
  return { url: env.REDIS_URL, clusterNodes: parseClusterNodes(env.REDIS_CLUSTER_NODES) };
}

export function isCluster(target: RedisTarget): boolean {
  return target.clusterNodes.length > 0;
}

/** ioredis options of one server from a redis:// or rediss:// URL (host, port, credentials, db, TLS). */
export function urlOptions(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: Number.isInteger(db) ? db : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}

/**
 * Cluster options of every cluster connection: the slot map is refreshed with a generous timeout (ioredis' 1 s
 * default fails spuriously on a busy machine and then refuses commands until the next refresh).
 */
const CLUSTER_DEFAULTS: ClusterOptions = { slotsRefreshTimeout: 5000 };

/** Connection options shared by the cluster's per-node connections (no host, port or db: a cluster has db 0 only). */
function nodeOptions(url: string, options: RedisOptions): RedisOptions {
  const { username, password, tls } = urlOptions(url);
  return { username, password, tls, ...options };
}

/**
 * A connection to the target. In cluster mode this is an ioredis `Cluster`, typed as `Redis`: the two share the
 * command API the platform uses (single-key commands, EVALSHA with one-slot KEYS, same-slot MULTI, pub/sub).
 * `clusterOptions` apply only in cluster mode (e.g. its own offline-queue setting).
 */
export function createRedisClient(
  target: RedisTarget,
  options: RedisOptions = {},
  clusterOptions: ClusterOptions = {},
): Redis {
  if (!isCluster(target)) return new Redis(target.url, options);
  const { enableOfflineQueue, enableAutoPipelining, retryStrategy, ...perNode } = options;
  const cluster = new Cluster(target.clusterNodes, {
    ...CLUSTER_DEFAULTS,
    redisOptions: nodeOptions(target.url, perNode),
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    ...(enableAutoPipelining !== undefined ? { enableAutoPipelining } : {}),
    ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) } : {}),
    ...clusterOptions,
  });
  return cluster as unknown as Redis;
}

/**
 * A connection whose commands issued in one event-loop turn go to Redis in one socket write (fewer syscalls per
 * request on a busy API or worker; order is kept): on one server, by corking its socket for the turn
 * (coalesceWritesPerTick); on a cluster, where commands go to several nodes, by ioredis' auto-pipelining.
 */
export function createBatchingRedisClient(target: RedisTarget, options: RedisOptions = {}): Redis {
  if (isCluster(target)) return createRedisClient(target, { ...options, enableAutoPipelining: true });
  return coalesceWritesPerTick(createRedisClient(target, { ...options, enableAutoPipelining: false }));
}

/** A new connection like `client` (same target and options), e.g. for a subscriber. */
export function duplicateClient(client: Redis, options: RedisOptions = {}): Redis {
  if (client instanceof Redis) return client.duplicate(options);
  const cluster = client as unknown as Cluster;
  return cluster.duplicate([], {
    redisOptions: { ...cluster.options.redisOptions, ...options },
  }) as unknown as Redis;
}

/**
 * The BullMQ `connection` for the target: options for a single server (BullMQ opens and closes its own
 * connections), or a Cluster instance in cluster mode (BullMQ cannot build one from options; the caller closes
 * it after the queues and workers using it). BullMQ needs maxRetriesPerRequest null on every connection.
 */
export function bullConnection(target: RedisTarget): ConnectionOptions {
  if (!isCluster(target))
    return { ...urlOptions(target.url), maxRetriesPerRequest: null } as ConnectionOptions;
  return new Cluster(target.clusterNodes, {
    ...CLUSTER_DEFAULTS,
    redisOptions: nodeOptions(target.url, { maxRetriesPerRequest: null }),
  });
}

/** Closes a connection made by bullConnection (no-op for plain options). */
export async function closeBullConnection(connection: ConnectionOptions): Promise<void> {
  if (connection instanceof Cluster) await connection.quit().catch(() => connection.disconnect());
}
