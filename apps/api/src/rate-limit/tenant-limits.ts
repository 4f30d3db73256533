import { TENANT_ID_PATTERN } from '../auth/api-principal.js';

export interface TenantLimits {
  requestsPerSecond: number;
  comparisonsInFlight: number;
}

export interface RateLimitSettings {
  defaults: TenantLimits;
  /** Per-tenant overrides (TENANT_RATE_LIMITS). */
  perTenant: ReadonlyMap<string, Partial<TenantLimits>>;
}

export function limitsFor(settings: RateLimitSettings, tenant: string): TenantLimits {
  return { ...settings.defaults, ...settings.perTenant.get(tenant) };
}

/** TENANT_RATE_LIMITS: `{"<tenant>": {"requests_per_second": n, "comparisons_in_flight": n}}`. */
export function parseTenantRateLimits(value: string): Map<string, Partial<TenantLimits>> {
  const out = new Map<string, Partial<TenantLimits>>();
  if (value.trim() === '') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error(
      'must be a JSON object {"<tenant>": {"requests_per_second": n, "comparisons_in_flight": n}}',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(
      'must be a JSON object {"<tenant>": {"requests_per_second": n, "comparisons_in_flight": n}}',
    );
  }
  for (const [tenant, limits] of Object.entries(parsed)) {
    if (!TENANT_ID_PATTERN.test(tenant))
      throw new Error(`"${tenant}" is not a tenant name ([A-Za-z0-9_-], ≤ 64)`);
    if (typeof limits !== 'object' || limits === null)
      throw new Error(`the limits of "${tenant}" must be an object`);
    const entry: Partial<TenantLimits> = {};
    for (const [key, name] of [
      ['requests_per_second', 'requestsPerSecond'],
      ['comparisons_in_flight', 'comparisonsInFlight'],
    ] as const) {
      const n = (limits as Record<string, unknown>)[key];
      if (n === undefined) continue;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
        throw new Error(`${tenant}.${key} must be a whole number ≥ 1`);
      }
      entry[name] = n;
    }
    const unknown = Object.keys(limits).find(
      (k) => k !== 'requests_per_second' && k !== 'comparisons_in_flight',
    );
    if (unknown) throw new Error(`${tenant}.${unknown} is not a limit`);
    out.set(tenant, entry);
  }
  return out;
}
