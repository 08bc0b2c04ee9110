/**
 * KubeClient authentication and Retry-After handling against a scripted HTTP server on
 * 127.0.0.1. Every Retry-After is 0 seconds, so no test waits.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeClient, retryAfterMs } from '../../../operator/src/kube/client.ts';
import { ApiError } from '../../../operator/src/kube/errors.ts';
import type { ClusterConnection, Credentials } from '../../../operator/src/kube/kubeconfig.ts';

type Reply = (response: ServerResponse) => void;

interface ReceivedRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => (response) => {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
};

const status = (code: number, reason: string, headers: Record<string, string> = {}): Reply =>
  json(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message: `${reason} from test server` }, headers);

const OK = json(200, { kind: 'Namespace', metadata: { name: 'default' } });

let server: Server | undefined;
let client: KubeClient | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/**
 * Starts a server that responds to the n-th request with replies[n], or 200 once the list runs
 * out, and returns a client for it with the given credentials.
 */
async function serve(replies: Reply[], credentials: () => Promise<Credentials> = async () => ({})) {
  const requests: ReceivedRequest[] = [];
  const pending = [...replies];
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({
        method: request.method ?? '',
        url: request.url ?? '',
        authorization: request.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      (pending.shift() ?? OK)(response);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  let invalidations = 0;
  const connection: ClusterConnection = {
    server: `http://127.0.0.1:${port}`,
    tls: { rejectUnauthorized: true },
    namespace: undefined,
    source: 'test server',
    credentials,
    invalidate: () => {
      invalidations += 1;
    },
  };
  client = new KubeClient(connection);
  return { client, requests, invalidations: () => invalidations };
}

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => new Error('expected a rejection, but the request succeeded'),
    (rejection: unknown) => rejection,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected ApiError, got ${String(error)}`);
  return error;
}

describe('KubeClient credentials', () => {
  it('sends Authorization from token', async () => {
    const { client, requests } = await serve([OK], async () => ({ authorization: 'Bearer abc' }));
    await client.request('GET', '/api/v1/namespaces/default');
    expect(requests[0]?.authorization).toBe('Bearer abc');
  });

  it('omits Authorization without credentials', async () => {
    const { client, requests } = await serve([OK]);
    await client.request('GET', '/api/v1/namespaces/default');
    expect(requests[0]?.authorization).toBeUndefined();
  });

  it('reads credentials per request', async () => {
    let calls = 0;
    const { client, requests } = await serve([OK, OK], async () => {
      calls += 1;
      return { authorization: `Bearer token-${calls}` };
    });
    await client.request('GET', '/api/v1/namespaces/default');
    await client.request('GET', '/api/v1/namespaces/default');
    expect(requests.map((request) => request.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('401 invalidates credentials', async () => {
    const { client, requests, invalidations } = await serve([status(401, 'Unauthorized')], async () => ({ authorization: 'Bearer revoked' }));
    const error = await apiError(client.request('GET', '/api/v1/namespaces/default'));
    expect(error.status).toBe(401);
    expect(invalidations()).toBe(1);
    expect(requests).toHaveLength(1);
  });

  it('403 keeps credentials', async () => {
    const { client, invalidations } = await serve([status(403, 'Forbidden')], async () => ({ authorization: 'Bearer abc' }));
    await apiError(client.request('GET', '/api/v1/namespaces/default'));
    expect(invalidations()).toBe(0);
  });

  it('reports credential failure without request', async () => {
    const { client, requests } = await serve([OK], async () => {
      throw new Error('exec plugin token not found.');
    });
    const error = await client.request('GET', '/api/v1/namespaces/default').then(
      () => undefined,
      (rejected: unknown) => rejected,
    );
    expect(error).not.toBeInstanceOf(ApiError);
    expect((error as Error).message).toBe('exec plugin token not found.');
    expect(requests).toHaveLength(0);
  });
});

describe('KubeClient Retry-After', () => {
  it('retries 429 with Retry-After', async () => {
    const { client, requests } = await serve([status(429, 'TooManyRequests', { 'retry-after': '0' }), OK]);
    const namespace = await client.request<{ metadata: { name: string } }>('GET', '/api/v1/namespaces/default');
    expect(namespace.metadata.name).toBe('default');
    expect(requests).toHaveLength(2);
  });

  it('retries 503 with Retry-After', async () => {
    const { client, requests } = await serve([status(503, 'ServiceUnavailable', { 'retry-after': '0' }), OK]);
    await client.request('GET', '/api/v1/namespaces/default');
    expect(requests).toHaveLength(2);
  });

  it('fails after three 429 responses', async () => {
    const tooMany = status(429, 'TooManyRequests', { 'retry-after': '0' });
    const { client, requests } = await serve([tooMany, tooMany, tooMany, OK]);
    const error = await apiError(client.request('GET', '/api/v1/namespaces/default'));
    expect(error.status).toBe(429);
    expect(error.reason).toBe('TooManyRequests');
    expect(error.message).toBe('GET /api/v1/namespaces/default failed (429): TooManyRequests from test server');
    expect(requests).toHaveLength(3);
  });

  it('does not retry 429 without Retry-After', async () => {
    const { client, requests } = await serve([status(429, 'TooManyRequests'), OK]);
    const error = await apiError(client.request('GET', '/api/v1/namespaces/default'));
    expect(error.status).toBe(429);
    expect(requests).toHaveLength(1);
  });

  it('does not retry 500 with Retry-After', async () => {
    const { client, requests } = await serve([status(500, 'InternalError', { 'retry-after': '0' }), OK]);
    const error = await apiError(client.request('GET', '/api/v1/namespaces/default'));
    expect(error.status).toBe(500);
    expect(requests).toHaveLength(1);
  });

  it('resends body on retry', async () => {
    const { client, requests } = await serve([status(429, 'TooManyRequests', { 'retry-after': '0' }), OK]);
    await client.apply('/api/v1/namespaces/default/configmaps/settings', { data: { mode: 'fast' } }, 'flywheel');
    expect(requests.map((request) => request.body)).toEqual(['{"data":{"mode":"fast"}}', '{"data":{"mode":"fast"}}']);
  });
});

describe('retryAfterMs', () => {
  const NOW = Date.parse('2030-01-01T00:00:00Z');

  const cases: Array<{ status: number; header: string | null; expected: number | undefined }> = [
    { status: 429, header: '0', expected: 0 },
    { status: 429, header: '3', expected: 3_000 },
    { status: 503, header: '7', expected: 7_000 },
    { status: 429, header: ' 2 ', expected: 2_000 },
    { status: 429, header: '10', expected: 10_000 },
    { status: 429, header: '11', expected: 10_000 },
    { status: 429, header: '86400', expected: 10_000 },
    { status: 429, header: 'Tue, 01 Jan 2030 00:00:05 GMT', expected: 5_000 },
    { status: 503, header: 'Tue, 01 Jan 2030 01:00:00 GMT', expected: 10_000 },
    { status: 429, header: 'Mon, 31 Dec 2029 23:59:00 GMT', expected: 0 },
    { status: 429, header: null, expected: undefined },
    { status: 429, header: '', expected: undefined },
    { status: 429, header: 'soon', expected: undefined },
    { status: 429, header: '1.5', expected: undefined },
    { status: 429, header: '-5', expected: undefined },
    { status: 200, header: '5', expected: undefined },
    { status: 500, header: '5', expected: undefined },
    { status: 502, header: '5', expected: undefined },
  ];

  for (const { status: code, header, expected } of cases) {
    it(`returns ${String(expected)} for ${code} ${JSON.stringify(header)}`, () => {
      expect(retryAfterMs(code, header, NOW)).toBe(expected);
    });
  }
});
