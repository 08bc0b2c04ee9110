/**
 * A small Kubernetes REST client: JSON requests, server-side apply and watch streams,
 * authenticated with the settings of a kubeconfig or of the pod's service account
 * (kubeconfig.ts). It talks to the API server directly because the operator needs raw
 * watch control (resume from a resourceVersion, bookmarks, 410 handling) and one place
 * that counts requests.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { Agent, fetch } from 'undici';
import { restClientRequests } from '../runtime/metrics.ts';
import { REQUEST_TIMEOUT_MS } from '../runtime/constants.ts';
import { ApiError } from './errors.ts';
import type { ClusterConnection, Credentials } from './kubeconfig.ts';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export const APPLY_PATCH = 'application/apply-patch+yaml';
export const MERGE_PATCH = 'application/merge-patch+json';

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
}

/**
 * Attempts for a request that the API server turned away with 429 or 503 and a
 * Retry-After header, which both mean the request was not processed. After the last
 * one, the error goes to the caller (for reconciles, the work queue's backoff).
 */
const RETRY_AFTER_ATTEMPTS = 3;
/** Maximum of one Retry-After wait, whatever the header requests. */
const RETRY_AFTER_MAX_MS = 10_000;

export class KubeClient {
  readonly connection: ClusterConnection;
  private readonly server: string;
  /**
   * One connection pool for all requests, so TLS connections are reused. It is rebuilt
   * only when an exec plugin hands out a new client certificate.
   * NOTE: the CA and a client certificate from kubeconfig files are read once; a
   * certificate rotated on disk takes effect after a restart. Bearer tokens are taken
   * per request.
   */
  private agent: Agent | undefined;
  private agentCertificate: string | undefined;

  constructor(connection: ClusterConnection) {
    this.connection = connection;
    this.server = connection.server;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const signal = options.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS);
      const response = await this.send(method, path, options, signal);
      const text = await response.text();
      if (response.ok) return (text ? JSON.parse(text) : undefined) as T;

      const waitMs = retryAfterMs(response.status, response.headers.get('retry-after'));
      if (waitMs === undefined || attempt >= RETRY_AFTER_ATTEMPTS || options.signal?.aborted) {
        throw toApiError(method, path, response.status, text);
      }
      await sleep(waitMs, undefined, { signal: options.signal });
    }
  }

  /** Server-side apply of `object` at `path` (an object path, or its /status). */
  apply<T>(path: string, object: unknown, fieldManager: string, force = true): Promise<T> {
    return this.request<T>('PATCH', path, {
      query: { fieldManager, force },
      body: object,
      contentType: APPLY_PATCH,
    });
  }

  /**
   * Streams watch events until the server closes the stream, the signal aborts, or an
   * error occurs. Resolves on a clean close. Rejects with ApiError on HTTP errors and on
   * ERROR events; 410 Gone arrives as an ERROR event carrying a Status with code 410.
   */
  async watch<T>(path: string, query: Query, onEvent: (event: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    const response = await this.send('GET', path, { query: { ...query, watch: true } }, signal);
    if (!response.ok || !response.body) {
      throw toApiError('WATCH', path, response.status, await response.text());
    }
    const lines = createInterface({ input: Readable.fromWeb(response.body as never), crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (!line) continue;
        const event = JSON.parse(line) as WatchEvent<T>;
        if (event.type === 'ERROR') {
          const status = event.object as StatusBody;
          throw new ApiError(
            `watch ${path} failed: ${status.message ?? 'unknown error'}`,
            status.code ?? 500,
            status.reason ?? 'Unknown',
          );
        }
        onEvent(event);
      }
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    } finally {
      lines.close();
    }
  }

  private async send(method: string, path: string, options: RequestOptions, signal: AbortSignal) {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }

    // A credential failure (a missing exec plugin, an unreadable token file) is not an
    // ApiError, so start-up does not retry it as if the API server were unreachable.
    const credentials: Credentials = await this.connection.credentials();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (credentials.authorization) headers.authorization = credentials.authorization;
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';

    try {
      const response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        dispatcher: this.dispatcherFor(credentials),
        signal,
      });
      restClientRequests.inc({ code: String(response.status), method });
      // An exec plugin's token may be revoked before its expirationTimestamp.
      if (response.status === 401) this.connection.invalidate();
      return response;
    } catch (error) {
      restClientRequests.inc({ code: '<error>', method });
      if (signal.aborted && signal.reason instanceof Error && signal.reason.name !== 'TimeoutError') throw error;
      throw new ApiError(`${method} ${path} failed: ${describe(error)}`, 0, 'Unreachable', { cause: error });
    }
  }

  private dispatcherFor(credentials: Credentials): Agent {
    const { tls } = this.connection;
    const cert = credentials.cert ?? tls.cert;
    const key = credentials.cert ? credentials.key : tls.key;
    if (this.agent && this.agentCertificate === cert) return this.agent;

    // Requests still running on the old pool finish before it closes.
    void this.agent?.close();
    this.agent = new Agent({ connect: { ca: tls.ca, cert, key, rejectUnauthorized: tls.rejectUnauthorized, servername: tls.servername } });
    this.agentCertificate = cert;
    return this.agent;
  }

  /** Closes the connection pool; later requests open a new one. */
  async close(): Promise<void> {
    const agent = this.agent;
    this.agent = undefined;
    await agent?.close();
  }
}

/**
 * Returns how long to wait before another attempt, or undefined when the response does
 * not ask for one. Only 429 and 503 qualify. Retry-After contains seconds or an HTTP date.
 */
export function retryAfterMs(status: number, header: string | null, now = Date.now()): number | undefined {
  if ((status !== 429 && status !== 503) || header === null) return undefined;
  const value = header.trim();
  let waitMs: number;
  if (/^\d+$/.test(value)) {
    waitMs = Number(value) * 1000;
  } else {
    // Every HTTP date format starts with a day name. Date.parse alone would also accept
    // values such as "1.5" or "-5" as dates.
    if (!/^[A-Za-z]{3}/.test(value)) return undefined;
    const date = Date.parse(value);
    if (Number.isNaN(date)) return undefined;
    waitMs = Math.max(0, date - now);
  }
  return Math.min(waitMs, RETRY_AFTER_MAX_MS);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

function toApiError(method: string, path: string, status: number, text: string): ApiError {
  let body: StatusBody = {};
  try {
    body = JSON.parse(text) as StatusBody;
  } catch {
    body = { message: text.slice(0, 500) };
  }
  const message = body.message ?? `HTTP ${status}`;
  return new ApiError(`${method} ${path} failed (${status}): ${message}`, status, body.reason ?? 'Unknown');
}
