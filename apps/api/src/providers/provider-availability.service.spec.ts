import { describe, expect, it } from '@jest/globals';
import type { CircuitStateStore } from '#batch-store';
import type { ProviderName } from '#contracts';
import { CircuitBreakerRegistry, loadProvidersConfig, MockProvider, ProviderRegistry } from '#llm-providers';
import { createTestProviderDeps } from '#llm-providers/testing';
import { ProviderAvailabilityService } from './provider-availability.service.js';

/** A registry with the Mock provider whose own breakers are all closed, as in the API process. */
function registry(): ProviderRegistry {
  const breakers = new CircuitBreakerRegistry(loadProvidersConfig({}).breaker);
  return new ProviderRegistry([new MockProvider(createTestProviderDeps().deps)], breakers);
}

const storeWith = (readAll: CircuitStateStore['readAll']) =>
  ({
    readAll,
    read: async (provider: ProviderName) => (await readAll())[provider],
  }) as unknown as CircuitStateStore;

describe('ProviderAvailabilityService', () => {
  it("uses the worker's shared circuit state over the API's own (always closed) one", async () => {
    const service = new ProviderAvailabilityService(
      registry(),
      storeWith(async () => ({ mock: 'open', openai: 'half_open' })),
    );
    const states = await service.availability();
    expect(states.mock).toMatchObject({ configured: true, circuit: 'open' });
    expect(states.openai.circuit).toBe('half_open');
    expect(states.anthropic.circuit).toBe('closed');
  });

  it("reads one provider's state for an acceptance, the same as the full view", async () => {
    const service = new ProviderAvailabilityService(
      registry(),
      storeWith(async () => ({ mock: 'open' })),
    );
    expect(await service.availabilityOf('mock')).toEqual((await service.availability()).mock);
    expect((await service.availabilityOf('openai')).circuit).toBe('closed');
    const failing = new ProviderAvailabilityService(
      registry(),
      storeWith(async () => {
        throw new Error('redis down');
      }),
    );
    expect((await failing.availabilityOf('mock')).circuit).toBe('closed');
  });

  it('answers from a state read ahead for the same provider, and reads anew for another one', async () => {
    let shared: Partial<Record<ProviderName, 'open' | 'closed'>> = { mock: 'open' };
    const service = new ProviderAvailabilityService(
      registry(),
      storeWith(async () => shared),
    );
    const ahead = service.readAhead('mock');
    // Read when readAhead was called, not when the acceptance looks at it.
    shared = { mock: 'closed', openai: 'open' };
    expect((await service.availabilityOf('mock', ahead)).circuit).toBe('open');
    expect((await service.availabilityOf('openai', ahead)).circuit).toBe('open');
    const failing = new ProviderAvailabilityService(
      registry(),
      storeWith(async () => {
        throw new Error('redis down');
      }),
    );
    expect((await failing.availabilityOf('mock', failing.readAhead('mock'))).circuit).toBe('closed');
  });

  it('reads every provider ahead for an admission made before the body names one', async () => {
    let reads = 0;
    let shared: Partial<Record<ProviderName, 'open' | 'half_open'>> = { openai: 'half_open' };
    const service = new ProviderAvailabilityService(
      registry(),
      storeWith(async () => {
        reads += 1;
        return shared;
      }),
    );
    const ahead = service.readAheadAll();
    shared = {};
    // Any provider the request picks answers from the read made ahead, without another.
    expect((await service.availabilityOf('openai', ahead)).circuit).toBe('half_open');
    expect((await service.availabilityOf('mock', ahead)).circuit).toBe('closed');
    expect(reads).toBe(1);
    const failing = new ProviderAvailabilityService(
      registry(),
      storeWith(async () => {
        throw new Error('redis down');
      }),
    );
    expect((await failing.availabilityOf('openai', failing.readAheadAll())).circuit).toBe('closed');
  });

  it('falls back to the in-process state without a store or when Redis cannot be read', async () => {
    const failing = new ProviderAvailabilityService(
      registry(),
      storeWith(async () => {
        throw new Error('redis down');
      }),
    );
    expect((await failing.availability()).mock.circuit).toBe('closed');
    expect((await new ProviderAvailabilityService(registry()).availability()).mock.circuit).toBe('closed');
  });
});
