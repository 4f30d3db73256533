export { GoogleProvider, GOOGLE_INLINE_MAX_BYTES, type GoogleProviderOptions } from './google.provider.js';
