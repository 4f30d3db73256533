export { OpenAIProvider } from './openai.provider.js';
