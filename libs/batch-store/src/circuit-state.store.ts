import { Inject, Injectable } from '@nestjs/common';
import { PROVIDER_NAMES, type ProviderName } from '#contracts';
import { REDIS_CLIENT } from '#infra';
import type { CircuitState } from '#llm-providers';
import { Cluster, type Redis } from 'ioredis';
import { BatchKeys } from './batch-keys.js';
import { BATCH_STORE_OPTIONS, resolvedKeyPrefix, type BatchStoreOptions } from './batch-store.options.js';

const STATES: readonly CircuitState[] = ['closed', 'open', 'half_open'];

/** How bad a state is, so several opinions combine to the worst one. */
const SEVERITY: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

export function worstCircuitState(...states: Array<CircuitState | undefined>): CircuitState {
  return states.reduce<CircuitState>(
    (worst, state) => (state && SEVERITY[state] > SEVERITY[worst] ? state : worst),
    'closed',
  );
}

/**
 * Providers' circuit states shared across processes: only the worker calls providers, so only its breakers
 * know whether one is failing, but the API must refuse work for a provider whose circuit is open. The worker
 * writes every change and refreshes periodically; each entry expires after `ttlSeconds`, so the state of a
 * worker that died stops counting instead of blocking a provider forever. With several workers the last
 * writer wins.
 */
@Injectable()
export class CircuitStateStore {
  private readonly keys: BatchKeys;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    @Inject(BATCH_STORE_OPTIONS) options: BatchStoreOptions,
  ) {
    this.keys = new BatchKeys(resolvedKeyPrefix(options));
  }

  async write(provider: ProviderName, state: CircuitState, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.keys.circuit(provider), state, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  async writeAll(states: Partial<Record<ProviderName, CircuitState>>, ttlSeconds: number): Promise<void> {
    const entries = Object.entries(states) as Array<[ProviderName, CircuitState]>;
    if (entries.length === 0) return;
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    // One SET per provider (auto-pipelined): the keys live in different cluster slots.
    await Promise.all(
      entries.map(([provider, state]) => this.redis.set(this.keys.circuit(provider), state, 'EX', ttl)),
    );
  }

  /** One provider's stored state, if it has one (an unknown value is ignored). */
  async read(provider: ProviderName): Promise<CircuitState | undefined> {
    const value = (await this.redis.get(this.keys.circuit(provider))) as CircuitState | null;
    return value && STATES.includes(value) ? value : undefined;
  }

  /** Stored states of the providers that have one (unknown values are ignored). */
  async readAll(): Promise<Partial<Record<ProviderName, CircuitState>>> {
    const keys = PROVIDER_NAMES.map((name) => this.keys.circuit(name));
    // One command on one server; a cluster holds the keys in different slots, so one GET each there.
    const raw =
      this.redis instanceof Cluster
        ? await Promise.all(keys.map((key) => this.redis.get(key)))
        : await this.redis.mget(...keys);
    const states: Partial<Record<ProviderName, CircuitState>> = {};
    PROVIDER_NAMES.forEach((name, i) => {
      const value = raw[i] as CircuitState | null;
      if (value && STATES.includes(value)) states[name] = value;
    });
    return states;
  }
}
