export { OpenRouterProvider, type OpenRouterProviderOptions } from './openrouter.provider.js';
