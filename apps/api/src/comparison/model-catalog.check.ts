import type { ProviderName } from '#contracts';

/**
 * Whether `model` may be named as model_override for `provider`: null when it may, else the reason. The model
 * catalog belongs to libs/llm-providers (issue 9); until it lands every model is let through here and the provider
 * refuses an unknown one later. Point this function at the catalog once it exists — it is the only place the api
 * asks.
 */
export function modelCatalogProblem(provider: ProviderName, model: string): string | null {
  void provider;
  void model;
  return null;
}
