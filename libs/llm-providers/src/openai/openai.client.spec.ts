import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APIConnectionTimeoutError } from 'openai';
import { createAnthropicClient } from '../anthropic/anthropic.client.js';
import type { ProviderSettings } from '../core/provider-config.js';
import { createOpenAIClient } from './openai.client.js';

/** A server that reads requests and never answers: only the client's own timeout ends a call. */
async function silentServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req) => req.resume());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const settings = (baseUrl: string): ProviderSettings =>
  ({ apiKey: 'sk-test', baseUrl, timeoutMs: 150 }) as ProviderSettings;

describe('SDK clients over the JSON POST fetch', () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it("still end a JSON call at the client's timeout with the SDK's timeout error", async () => {
    const silent = await silentServer();
    server = silent.server;
    const openai = createOpenAIClient(settings(`${silent.url}/v1`));
    await expect(
      openai.chat.completions.create({ model: 'gpt-5-mini', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(APIConnectionTimeoutError);
    const anthropic = createAnthropicClient(settings(silent.url));
    await expect(
      anthropic.messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ name: 'APIConnectionTimeoutError' });
  });
});
