/**
 * Informer list/watch semantics against a scripted HTTP endpoint on 127.0.0.1. The real
 * API server cannot be made to expire a resourceVersion on demand, so the 410 and
 * closed-stream paths are driven here; the e2e suite covers the informer end to end.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../../operator/src/kube/client.ts';
import type { ClusterConnection } from '../../../operator/src/kube/kubeconfig.ts';
import { CONFIG_MAP } from '../../../operator/src/kube/resources.ts';
import { Informer, type ObjectLike } from '../../../operator/src/runtime/informer.ts';

type Step = (request: IncomingMessage, response: ServerResponse) => void;

const object = (name: string, resourceVersion: string): ObjectLike => ({
  metadata: { name, namespace: 'ns', resourceVersion, managedFields: [{ manager: 'x' }] },
});

const list = (resourceVersion: string, items: ObjectLike[]): Step => (_request, response) => {
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ metadata: { resourceVersion }, items }));
};

const watch = (events: Array<{ type: string; object: unknown }>, keepOpen = false): Step => (_request, response) => {
  response.setHeader('content-type', 'application/json');
  for (const event of events) response.write(`${JSON.stringify(event)}\n`);
  if (!keepOpen) response.end();
};

let server: Server | undefined;
let abort: AbortController | undefined;

afterEach(() => {
  abort?.abort();
  server?.closeAllConnections();
  server?.close();
});

async function serve(steps: Step[]): Promise<{ client: KubeClient; urls: string[] }> {
  const urls: string[] = [];
  server = createServer((request, response) => {
    urls.push(request.url ?? '');
    const step = steps.shift();
    if (step) step(request, response);
    else watch([], true)(request, response);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const connection: ClusterConnection = {
    server: `http://127.0.0.1:${port}`,
    tls: { rejectUnauthorized: true },
    namespace: undefined,
    source: 'test server',
    credentials: async () => ({}),
    invalidate: () => {},
  };
  return { client: new KubeClient(connection), urls };
}

async function until(check: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 200 && !check(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('Informer', () => {
  it('lists, then watches from the list version', async () => {
    const { client, urls } = await serve([list('10', [object('a', '5')])]);
    const informer = new Informer(client, CONFIG_MAP, { namespace: 'ns' });
    abort = new AbortController();
    void informer.run(abort.signal);
    await informer.waitForSync();
    await until(() => urls.length >= 2);
    expect(informer.get('ns', 'a')?.metadata.resourceVersion).toBe('5');
    expect(urls[1]).toContain('resourceVersion=10');
    expect(urls[1]).toContain('watch=true');
  });

  it('drops managedFields from cached objects', async () => {
    const { client } = await serve([list('10', [object('a', '5')])]);
    const informer = new Informer(client, CONFIG_MAP, { namespace: 'ns' });
    abort = new AbortController();
    void informer.run(abort.signal);
    await informer.waitForSync();
    expect(informer.get('ns', 'a')?.metadata.managedFields).toBeUndefined();
  });

  it('resumes a closed watch from the last version seen', async () => {
    const { client, urls } = await serve([
      list('10', []),
      watch([{ type: 'ADDED', object: object('b', '11') }, { type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } }]),
    ]);
    const informer = new Informer(client, CONFIG_MAP, { namespace: 'ns' });
    abort = new AbortController();
    void informer.run(abort.signal);
    await until(() => urls.length >= 3);
    expect(urls[2]).toContain('resourceVersion=15');
    expect(urls.filter((url) => !url.includes('watch=true'))).toHaveLength(1);
  });

  it('re-lists after 410 Gone and reports vanished objects', async () => {
    const deleted: string[] = [];
    const { client, urls } = await serve([
      list('10', [object('a', '5')]),
      watch([{ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } }]),
      list('20', [object('b', '12')]),
    ]);
    const informer = new Informer(client, CONFIG_MAP, { namespace: 'ns' });
    informer.addHandler({ onDelete: (gone) => deleted.push(gone.metadata.name) });
    abort = new AbortController();
    void informer.run(abort.signal);
    await until(() => urls.length >= 4);
    expect(deleted).toEqual(['a']);
    expect(informer.get('ns', 'b')).toBeDefined();
    expect(urls[3]).toContain('resourceVersion=20');
  });

  it('re-lists after a failed list without throwing', async () => {
    const errors: unknown[] = [];
    const { client } = await serve([
      (_request, response) => {
        response.statusCode = 503;
        response.end('{"kind":"Status","code":503,"message":"unavailable"}');
      },
      list('10', [object('a', '5')]),
    ]);
    const informer = new Informer(client, CONFIG_MAP, { namespace: 'ns', onError: (error) => errors.push(error) });
    abort = new AbortController();
    void informer.run(abort.signal);
    await informer.waitForSync();
    expect(errors).toHaveLength(1);
    expect(informer.get('ns', 'a')).toBeDefined();
  });

  it('ignores a watch event older than a written-through object', async () => {
    const { client, urls } = await serve([list('10', [object('a', '5')])]);
    const informer = new Informer(client, CONFIG_MAP, { namespace: 'ns' });
    abort = new AbortController();
    void informer.run(abort.signal);
    await informer.waitForSync();
    informer.upsert(object('a', '30'));
    informer.upsert(object('a', '7'));
    expect(informer.get('ns', 'a')?.metadata.resourceVersion).toBe('30');
    expect(urls.length).toBeGreaterThan(0);
  });

  it('indexes objects by the configured value', async () => {
    const labelled = (name: string, owner: string): ObjectLike =>
      ({ metadata: { name, namespace: 'ns', resourceVersion: '1', labels: { owner } } }) as ObjectLike;
    const { client } = await serve([list('10', [labelled('a', 'x'), labelled('b', 'x'), labelled('c', 'y')])]);
    const informer = new Informer(client, CONFIG_MAP, {
      namespace: 'ns',
      indexBy: (item) => (item.metadata as { labels?: Record<string, string> }).labels?.owner,
    });
    abort = new AbortController();
    void informer.run(abort.signal);
    await informer.waitForSync();
    expect(informer.byIndex('x').map((item) => item.metadata.name).sort()).toEqual(['a', 'b']);
  });
});
