import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, type LoggerOptions } from '../../../operator/src/log.ts';

/** Creates a JSON logger whose lines are parsed into `lines`. */
function capture(options: LoggerOptions = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger('debug', 'json', { ...options, stream }), lines };
}

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl';

describe('log redaction', () => {
  const cases: Array<[string, Record<string, unknown>, (line: Record<string, unknown>) => unknown, unknown]> = [
    ['a top-level token field', { token: 's3cr3t' }, (line) => line.token, '[redacted]'],
    ['a nested password', { request: { user: 'ann', password: 'hunter2' } }, (line) => line.request, { user: 'ann', password: '[redacted]' }],
    ['an Authorization header', { headers: { Authorization: 'Bearer abc' } }, (line) => line.headers, { Authorization: '[redacted]' }],
    ['secrets in arrays', { items: [{ clientSecret: 'x' }] }, (line) => line.items, [{ clientSecret: '[redacted]' }]],
    ['a bearer token inside a string', { detail: 'sent Bearer abc.def to the server' }, (line) => line.detail, 'sent Bearer [redacted] to the server'],
    ['a JWT inside a string', { detail: `token ${JWT} rejected` }, (line) => line.detail, 'token [redacted] rejected'],
    ['a private key field', { privateKey: '-----BEGIN' }, (line) => line.privateKey, '[redacted]'],
  ];

  it.each(cases)('hides %s', (_name, fields, select, expected) => {
    const { log, lines } = capture();
    log.info('request sent', fields);
    expect(select(lines[0]!)).toEqual(expected);
  });

  it('hides a token in an error message and its cause', () => {
    const { log, lines } = capture();
    const cause = new Error(`server rejected ${JWT}`);
    log.error('request failed', { error: new Error('call with Bearer abc failed', { cause }) });
    expect(lines[0]!.error).toBe('call with Bearer [redacted] failed');
    expect(lines[0]!.cause).toBe('server rejected [redacted]');
  });

  it('hides a token in the message', () => {
    const { log, lines } = capture();
    log.warn(`got Bearer abc`);
    expect(lines[0]!.message).toBe('got Bearer [redacted]');
  });

  it('leaves the caller object unchanged', () => {
    const { log } = capture();
    const fields = { request: { password: 'hunter2' } };
    log.info('request sent', fields);
    expect(fields.request.password).toBe('hunter2');
  });

  it('keeps ordinary fields', () => {
    const { log, lines } = capture();
    log.info('reconciled', { namespace: 'shop', name: 'orders', requeueAfter: 5000 });
    expect(lines[0]).toMatchObject({ namespace: 'shop', name: 'orders', requeueAfter: 5000 });
  });
});

describe('log errors', () => {
  it('writes the message and the cause chain', () => {
    const { log, lines } = capture();
    const root = new Error('connect ECONNREFUSED 127.0.0.1:6443');
    log.error('reconcile failed', { error: new Error('GET /apis failed', { cause: new Error('fetch failed', { cause: root }) }) });
    expect(lines[0]!.error).toBe('GET /apis failed');
    expect(lines[0]!.cause).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:6443');
  });
});

describe('log repeat limit', () => {
  const setup = () => {
    let now = 0;
    const logger = capture({ repeatWindowMs: 10_000, now: () => now });
    return { ...logger, advance: (ms: number) => (now += ms) };
  };
  const failure = { namespace: 'shop', name: 'orders', error: new Error('Deployment shop/orders already exists') };

  it('drops repeats within the window', () => {
    const { log, lines, advance } = setup();
    log.error('reconcile failed', { ...failure, retryInMs: 5 });
    advance(1_000);
    log.error('reconcile failed', { ...failure, retryInMs: 10 });
    expect(lines).toHaveLength(1);
  });

  it('counts dropped repeats on the next line', () => {
    const { log, lines, advance } = setup();
    for (let attempt = 0; attempt < 4; attempt += 1) {
      log.error('reconcile failed', failure);
      advance(1_000);
    }
    advance(10_000);
    log.error('reconcile failed', failure);
    expect(lines).toHaveLength(2);
    expect(lines[1]!.suppressed).toBe(3);
  });

  it('keeps lines of other objects', () => {
    const { log, lines } = setup();
    log.error('reconcile failed', failure);
    log.error('reconcile failed', { ...failure, name: 'payments' });
    expect(lines).toHaveLength(2);
  });

  it('keeps lines with another error', () => {
    const { log, lines } = setup();
    log.error('reconcile failed', failure);
    log.error('reconcile failed', { ...failure, error: new Error('timed out') });
    expect(lines).toHaveLength(2);
  });

  it('never limits info lines', () => {
    const { log, lines } = setup();
    log.info('created object', { kind: 'Deployment', object: 'orders' });
    log.info('created object', { kind: 'Deployment', object: 'orders' });
    expect(lines).toHaveLength(2);
  });

  it('applies to child loggers', () => {
    const { log, lines } = setup();
    const child = log.child({ controller: 'microservice', namespace: 'shop', name: 'orders' });
    child.error('reconcile failed', { error: failure.error, reconcileID: 'a' });
    child.error('reconcile failed', { error: failure.error, reconcileID: 'b' });
    expect(lines).toHaveLength(1);
  });
});
