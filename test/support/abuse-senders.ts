// Child process of the abuse benchmark: sends the abusive requests from its own event loop, so the prober in the
// parent measures the server, not a client busy uploading. argv[2]: JSON {url, abuserKey, authenticated, unauthenticated}.
import { minimalItemsBody, postRaw } from './abuse-load.js';

const options = JSON.parse(process.argv[2]) as {
  url: string;
  abuserKey: string;
  authenticated: { count: number; bytes: number };
  unauthenticated: { count: number; bytes: number };
};
const authedBody = minimalItemsBody(options.authenticated.bytes);
const unauthBody = minimalItemsBody(options.unauthenticated.bytes);
const started = performance.now();
const [authenticated, unauthenticated] = await Promise.all([
  Promise.all(
    Array.from({ length: options.authenticated.count }, () =>
      postRaw(options.url, authedBody, { Authorization: `Bearer ${options.abuserKey}` }),
    ),
  ),
  Promise.all(
    Array.from({ length: options.unauthenticated.count }, () => postRaw(options.url, unauthBody, {})),
  ),
]);
process.stdout.write(
  JSON.stringify({
    authenticated,
    unauthenticated,
    durationMs: performance.now() - started,
    bodyBytes: { authenticated: authedBody.length, unauthenticated: unauthBody.length },
  }),
);
