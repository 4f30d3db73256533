import {
  type DynamicModule,
  Global,
  Inject,
  Logger,
  Module,
  type OnModuleDestroy,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { PROVIDER_CLASSES, type ProviderClass } from './core/provider-factories.js';
import { modelRetirementWarnings, type ProvidersConfig } from './core/provider-config.js';
import type { ProviderDeps } from './core/provider-deps.js';
import { ProviderRegistry } from './core/provider-registry.js';
import { CircuitBreakerRegistry } from './core/resilience/circuit-breaker-registry.js';
import { ProviderCallCounter } from './core/resilience/provider-call-counter.js';
import { ResilientCaller } from './core/resilience/resilient-caller.js';
import { RetryPolicy } from './core/resilience/retry-policy.js';
import type { LlmProvider } from './core/llm-provider.js';

export const PROVIDERS_CONFIG = Symbol('PROVIDERS_CONFIG');
export const PROVIDER_DEPS = Symbol('PROVIDER_DEPS');
/** `() => number` (ms): the providers' clock, for callers that judge model retirement the same way. */
export const PROVIDERS_CLOCK = Symbol('PROVIDERS_CLOCK');

export interface LlmProvidersModuleOptions {
  /** Replaces the provider list (tests); defaults to PROVIDER_CLASSES. */
  providerClasses?: ProviderClass[];
  /** Injected into providers and the retry policy (tests: instant sleeps, fixed clock). */
  sleep?: ProviderDeps['sleep'];
  clock?: ProviderDeps['clock'];
}

/**
 * Registers the provider library for the whole app: ProviderRegistry (the entry point), the resilience pieces
 * (shared by every provider, so one breaker per provider process-wide) and each provider class by type.
 */
@Global()
@Module({})
export class LlmProvidersModule implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('LlmProviders');

  constructor(
    @Inject(CircuitBreakerRegistry) private readonly breakers: CircuitBreakerRegistry,
    @Inject(PROVIDERS_CONFIG) private readonly config: ProvidersConfig,
    @Inject(PROVIDER_DEPS) private readonly deps: ProviderDeps,
  ) {}

  /** A configured default model close to its shutdown date is worth an operator's attention at every start. */
  onModuleInit(): void {
    const now = (this.deps.clock ?? Date.now)();
    for (const warning of modelRetirementWarnings(this.config, now)) {
      this.logger.warn({
        msg: 'configured model retires soon',
        provider: warning.provider,
        model: warning.model,
        variable: warning.variable,
        retires_on: warning.retires_on,
        days_left: warning.days_left,
        replacement: warning.replacement,
      });
    }
  }

  static forRoot(config: ProvidersConfig, options: LlmProvidersModuleOptions = {}): DynamicModule {
    const classes = options.providerClasses ?? PROVIDER_CLASSES;
    const providerEntries: Provider[] = classes.map((cls) => ({
      provide: cls,
      useFactory: (deps: ProviderDeps) => new cls(deps),
      inject: [PROVIDER_DEPS],
    }));
    return {
      module: LlmProvidersModule,
      global: true,
      providers: [
        { provide: PROVIDERS_CONFIG, useValue: config },
        { provide: PROVIDERS_CLOCK, useValue: options.clock ?? Date.now },
        { provide: ProviderCallCounter, useFactory: () => new ProviderCallCounter() },
        {
          provide: CircuitBreakerRegistry,
          useFactory: (cfg: ProvidersConfig) => new CircuitBreakerRegistry(cfg.breaker, options.clock),
          inject: [PROVIDERS_CONFIG],
        },
        {
          provide: RetryPolicy,
          useFactory: (cfg: ProvidersConfig) => new RetryPolicy(cfg.retry, { sleep: options.sleep }),
          inject: [PROVIDERS_CONFIG],
        },
        {
          provide: ResilientCaller,
          useFactory: (retry: RetryPolicy, breakers: CircuitBreakerRegistry, counter: ProviderCallCounter) =>
            new ResilientCaller(retry, breakers, counter, options.clock),
          inject: [RetryPolicy, CircuitBreakerRegistry, ProviderCallCounter],
        },
        {
          provide: PROVIDER_DEPS,
          useFactory: (
            cfg: ProvidersConfig,
            caller: ResilientCaller,
            counter: ProviderCallCounter,
          ): ProviderDeps => ({
            config: cfg,
            caller,
            counter,
            clock: options.clock,
            sleep: options.sleep,
          }),
          inject: [PROVIDERS_CONFIG, ResilientCaller, ProviderCallCounter],
        },
        ...providerEntries,
        {
          provide: ProviderRegistry,
          useFactory: (breakers: CircuitBreakerRegistry, ...providers: LlmProvider[]) =>
            new ProviderRegistry(providers, breakers),
          inject: [CircuitBreakerRegistry, ...classes],
        },
      ],
      exports: [
        PROVIDERS_CONFIG,
        PROVIDERS_CLOCK,
        ProviderRegistry,
        ResilientCaller,
        CircuitBreakerRegistry,
        ProviderCallCounter,
        ...classes,
      ],
    };
  }

  onModuleDestroy(): void {
    this.breakers.shutdown();
  }
}
