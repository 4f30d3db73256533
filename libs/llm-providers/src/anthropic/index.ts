export { AnthropicProvider } from './anthropic.provider.js';
