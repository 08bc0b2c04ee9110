/**
 * A fault-injecting proxy in front of the local API server, for tests of how the operator
 * handles throttling and server errors. It listens with plain HTTP on 127.0.0.1, forwards
 * each request to the API server over HTTPS with the admin client certificate of the
 * kubeconfig. Requests that a fault rule picks are not forwarded: the proxy responds with
 * 429 (and Retry-After) or 500/503 and a Kubernetes Status body. A delay fault forwards
 * the request late instead. Watches stream through.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/** One request, as passed to the fault rule. */
export interface ProxiedRequest {
  method: string;
  /** Path and query, as /apis/apps/v1/deployments?watch=true. */
  url: string;
  watch: boolean;
  /** 1 for the first request through the proxy, then counting up. */
  sequence: number;
}

export type StatusFault = { status: 429; retryAfterSeconds: number } | { status: 500 } | { status: 503 };
/** Forwards the request after `delayMs`, unless the client gave up by then. */
export type DelayFault = { delayMs: number };
export type Fault = StatusFault | DelayFault;

/** Picks the fault for a request, or undefined to forward it. */
export type FaultRule = (request: ProxiedRequest) => Fault | undefined;

export const NO_FAULTS: FaultRule = () => undefined;

/**
 * Faults in a repeating pattern over the requests a filter selects: the n-th selected
 * request gets pattern[n % pattern.length], where undefined forwards it. Deterministic,
 * so a failing run can be repeated.
 */
export function faultPattern(pattern: Array<Fault | undefined>, select: (request: ProxiedRequest) => boolean = () => true): FaultRule {
  let selected = 0;
  return (request) => {
    if (!select(request)) return undefined;
    const fault = pattern[selected % pattern.length];
    selected += 1;
    return fault;
  };
}

/**
 * Faults for a `fraction` of the requests, drawn from `faults` in turn, picked by a
 * pseudo-random generator with a fixed seed. Random picks cannot line up with a client
 * that repeats a fixed number of requests per attempt, which a fixed pattern can.
 */
export function faultFraction(fraction: number, faults: Fault[], seed = 1): FaultRule {
  let state = seed >>> 0;
  let next = 0;
  const random = () => {
    // mulberry32: a small generator with a full 2^32 period, enough for test traffic.
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 2 ** 32;
  };
  return () => {
    if (random() >= fraction) return undefined;
    const fault = faults[next % faults.length];
    next += 1;
    return fault;
  };
}

const REASONS: Record<StatusFault['status'], string> = { 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable' };

export class FaultProxy {
  /** Base URL of the proxy. */
  readonly url: string;
  /** A kubeconfig that points at the proxy; it carries no credentials. */
  readonly kubeconfigPath: string;
  /** Requests forwarded (delayed ones included), requests delayed, and fault statuses sent, by code. */
  readonly counts = { forwarded: 0, delayed: 0, injected: new Map<number, number>() };
  private rule: FaultRule;
  private sequence = 0;
  private readonly server: Server;
  private readonly directory: string;

  private constructor(server: Server, url: string, rule: FaultRule) {
    this.server = server;
    this.url = url;
    this.rule = rule;
    this.directory = mkdtempSync(join(tmpdir(), 'flywheel-fault-proxy-'));
    this.kubeconfigPath = join(this.directory, 'kubeconfig');
    writeFileSync(this.kubeconfigPath, proxyKubeconfig(url));
  }

  /** Starts a proxy to the API server of `kubeconfigPath` on a free port of 127.0.0.1. */
  static async start(kubeconfigPath: string, rule: FaultRule = NO_FAULTS): Promise<FaultProxy> {
    const upstream = upstreamOf(kubeconfigPath);
    let proxy: FaultProxy | undefined;
    const server = createServer((request, response) => proxy?.handle(request, response, upstream));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, resolve);
    });
    const { port } = server.address() as AddressInfo;
    proxy = new FaultProxy(server, `http://127.0.0.1:${port}`, rule);
    return proxy;
  }

  /** Replaces the fault rule for the requests that follow. */
  setRule(rule: FaultRule): void {
    this.rule = rule;
  }

  get injectedTotal(): number {
    return [...this.counts.injected.values()].reduce((sum, count) => sum + count, 0);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.directory, { recursive: true, force: true });
  }

  private handle(request: IncomingMessage, response: ServerResponse, upstream: Upstream): void {
    this.sequence += 1;
    const url = request.url ?? '/';
    const proxied: ProxiedRequest = { method: request.method ?? 'GET', url, watch: /[?&]watch=(true|1)/.test(url), sequence: this.sequence };
    const fault = this.rule(proxied);
    if (fault && 'delayMs' in fault) {
      this.counts.delayed += 1;
      const timer = setTimeout(() => {
        this.counts.forwarded += 1;
        forward(request, response, upstream);
      }, fault.delayMs);
      response.once('close', () => clearTimeout(timer));
      return;
    }
    if (fault) {
      this.counts.injected.set(fault.status, (this.counts.injected.get(fault.status) ?? 0) + 1);
      request.resume();
      answerFault(response, fault);
      return;
    }
    this.counts.forwarded += 1;
    forward(request, response, upstream);
  }
}

interface Upstream {
  host: string;
  port: number;
  agent: Agent;
}

function upstreamOf(kubeconfigPath: string): Upstream {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const cluster = kubeConfig.getCurrentCluster();
  const user = kubeConfig.getCurrentUser();
  if (!cluster?.caData || !user?.certData || !user.keyData) {
    throw new Error(`${kubeconfigPath} lacks inline CA or client certificate data; the fault proxy needs the admin kubeconfig of hack/cluster-up.sh`);
  }
  const server = new URL(cluster.server);
  const decode = (data: string) => Buffer.from(data, 'base64');
  return {
    host: server.hostname,
    port: Number(server.port || 443),
    agent: new Agent({ ca: decode(cluster.caData), cert: decode(user.certData), key: decode(user.keyData), keepAlive: true }),
  };
}

function forward(request: IncomingMessage, response: ServerResponse, upstream: Upstream): void {
  const outgoing = httpsRequest(
    {
      host: upstream.host,
      port: upstream.port,
      method: request.method,
      path: request.url,
      headers: { ...request.headers, host: `${upstream.host}:${upstream.port}` },
      agent: upstream.agent,
    },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  outgoing.on('error', (error) => {
    if (!response.headersSent) answerStatus(response, 502, 'BadGateway', `fault proxy: upstream request failed: ${error.message}`);
    else response.destroy();
  });
  // A client that gives up, such as an aborted watch, ends the upstream request too.
  response.on('close', () => outgoing.destroy());
  request.pipe(outgoing);
}

function answerFault(response: ServerResponse, fault: StatusFault): void {
  if (fault.status === 429) response.setHeader('Retry-After', String(fault.retryAfterSeconds));
  answerStatus(response, fault.status, REASONS[fault.status], `fault proxy: injected ${fault.status}`);
}

function answerStatus(response: ServerResponse, code: number, reason: string, message: string): void {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
  response.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

function proxyKubeconfig(url: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fault-proxy',
    '  cluster:',
    `    server: ${url}`,
    // client-node refuses an http server unless TLS verification is off, although no TLS is used.
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: fault-proxy',
    '  user: {}',
    'contexts:',
    '- name: fault-proxy',
    '  context:',
    '    cluster: fault-proxy',
    '    user: fault-proxy',
    'current-context: fault-proxy',
    '',
  ].join('\n');
}
