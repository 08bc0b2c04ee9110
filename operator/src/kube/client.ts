/**
 * A small Kubernetes REST client: JSON requests, server-side apply and watch streams,
 * authenticated from a kubeconfig by @kubernetes/client-node. The generated API classes
 * of that package are not used because the operator needs raw watch control (resume
 * from a resourceVersion, bookmarks, 410 handling) and one place that counts requests.
 */
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { HttpMethod, type KubeConfig, RequestContext } from '@kubernetes/client-node';
import { fetch } from 'undici';
import { restClientRequests } from '../runtime/metrics.ts';
import { REQUEST_TIMEOUT_MS } from '../runtime/constants.ts';
import { ApiError } from './errors.ts';

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

export class KubeClient {
  readonly kubeConfig: KubeConfig;
  private readonly server: string;
  /**
   * One connection pool for all requests. KubeConfig.applySecurityAuthentication() builds
   * a new undici Agent on every call (@kubernetes/client-node 2.0.1), and using each one
   * opened a TLS connection per request that stayed open until its keep-alive timeout.
   * NOTE: TLS settings (CA, client certificate) are therefore read once; a certificate
   * rotated on disk takes effect after a restart. Headers, bearer tokens included, are
   * still taken per request.
   */
  private dispatcher: ReturnType<RequestContext['getDispatcher']>;

  constructor(kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) {
      throw new Error('kubeconfig has no current cluster; set current-context or pass --kubeconfig');
    }
    this.kubeConfig = kubeConfig;
    this.server = cluster.server.replace(/\/$/, '');
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options, options.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    const text = await response.text();
    if (!response.ok) throw toApiError(method, path, response.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
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
    const context = new RequestContext(url.toString(), HttpMethod.GET);
    await this.kubeConfig.applySecurityAuthentication(context);
    const headers: Record<string, string> = { ...context.getHeaders(), accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';

    try {
      const response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        dispatcher: (this.dispatcher ??= context.getDispatcher()),
        signal,
      });
      restClientRequests.inc({ code: String(response.status), method });
      return response;
    } catch (error) {
      restClientRequests.inc({ code: '<error>', method });
      if (signal.aborted && signal.reason instanceof Error && signal.reason.name !== 'TimeoutError') throw error;
      throw new ApiError(`${method} ${path} failed: ${describe(error)}`, 0, 'Unreachable', { cause: error });
    }
  }
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
