import { ApiError } from '@google/genai';
import { GOOGLE_DEFAULT_BASE_URL } from './google.client.js';

/**
 * The two reads the SDK cannot do for us: the operation's `batchStats` (dropped by the SDK's batch mapping) and a
 * results file's content (`ai.files.download` only writes to a path). Same origin, key header and timeout as the
 * SDK; failures are thrown as the SDK's ApiError so they are normalised exactly like SDK failures.
 */
export class GoogleRawHttp {
  private readonly origin: string;

  constructor(
    private readonly apiKey: string,
    baseUrl: string | undefined,
    private readonly timeoutMs: number,
  ) {
    this.origin = (baseUrl ?? GOOGLE_DEFAULT_BASE_URL).replace(/\/+$/, '');
  }

  async getJson(path: string): Promise<unknown> {
    const text = await this.getText(`/v1beta/${path}`);
    return JSON.parse(text) as unknown;
  }

  /**
   * `files/abc` → its bytes as a stream, read as they arrive (a responses file can be hundreds of MB), through the
   * same `:download?alt=media` route the SDK's download uses.
   */
  async downloadFileStream(fileName: string): Promise<AsyncIterable<Uint8Array>> {
    const id = fileName.replace(/^files\//, '');
    const response = await fetch(`${this.origin}/v1beta/files/${encodeURIComponent(id)}:download?alt=media`, {
      headers: { 'x-goog-api-key': this.apiKey },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new ApiError({ status: response.status, message: await response.text() });
    if (!response.body) return (async function* () {})();
    return response.body as unknown as AsyncIterable<Uint8Array>;
  }

  private async getText(path: string): Promise<string> {
    const response = await fetch(`${this.origin}${path}`, {
      headers: { 'x-goog-api-key': this.apiKey },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) throw new ApiError({ status: response.status, message: text });
    return text;
  }
}
