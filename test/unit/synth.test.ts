import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { App } from 'cdk8s';
import { DEFAULT_PLATFORM, MicroserviceChart, type Microservice } from '../../cdk8s/src/index.ts';
import { renderMicroservice, type KubeObject } from '../../cdk8s/src/render.ts';
import { GENERATED_MARKER, parseSynthArgs, runSynthCommand } from '../../operator/src/cli/synth.ts';
import { microserviceSchema, validateMicroservice } from '../../operator/src/cli/synth-validation.ts';

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'flywheel-synth-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function synth(argv: string[], stdin = '') {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io = { stdout: (text: string) => stdout.push(text), stderr: (text: string) => stderr.push(text) };
  const code = await runSynthCommand(argv, io, {}, async () => stdin);
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

const documents = (text: string): KubeObject[] => parseAllDocuments(text).map((document) => document.toJS() as KubeObject);

const ORDERS = `apiVersion: flywheel.dev/v1alpha1
kind: Microservice
metadata:
  name: orders
  namespace: shop
spec:
  image: ghcr.io/acme/orders:1.0.0
  replicas: 3
  ports:
    - name: http
      port: 80
      targetPort: 8080
  probes:
    readiness:
      http:
        path: /readyz
        port: http
`;

const INVENTORY = `apiVersion: flywheel.dev/v1alpha1
kind: Microservice
metadata:
  name: inventory
spec:
  image: ghcr.io/acme/inventory:2.0.0
`;

async function writeInput(name: string, text: string): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, text);
  return path;
}

describe('flywheel synth output', () => {
  it('writes one file per Microservice', async () => {
    const input = await writeInput('services.yaml', `${ORDERS}---\n${INVENTORY}`);
    const output = join(directory, 'dist');
    expect((await synth(['-f', input, '-o', output])).code).toBe(0);
    expect((await readdir(output)).sort()).toEqual(['default.inventory.yaml', 'shop.orders.yaml']);
  });

  it('writes what renderMicroservice renders', async () => {
    const input = await writeInput('orders.yaml', ORDERS);
    const output = join(directory, 'dist');
    await synth(['-f', input, '-o', output]);
    const written = documents(await readFile(join(output, 'shop.orders.yaml'), 'utf8'));
    const defaulted = parseAllDocuments(ORDERS)[0]?.toJS() as Record<string, unknown>;
    validateMicroservice(defaulted, microserviceSchema());
    expect(written).toEqual(renderMicroservice(defaulted as unknown as Microservice, DEFAULT_PLATFORM));
  });

  it('marks files as generated', async () => {
    const input = await writeInput('orders.yaml', ORDERS);
    const output = join(directory, 'dist');
    await synth(['-f', input, '-o', output]);
    expect(await readFile(join(output, 'shop.orders.yaml'), 'utf8')).toMatch(new RegExp(`^${GENERATED_MARKER.replace(/[`]/g, '.')} from `));
  });

  it('prints all objects without -o', async () => {
    const input = await writeInput('services.yaml', `${ORDERS}---\n${INVENTORY}`);
    const result = await synth(['-f', input]);
    const names = documents(result.stdout).map((object) => `${object.metadata.namespace}/${object.kind}/${object.metadata.name}`);
    expect(names).toContain('shop/Deployment/orders');
    expect(names).toContain('default/Deployment/inventory');
  });

  it('reads standard input', async () => {
    const result = await synth(['-f', '-'], ORDERS);
    expect(documents(result.stdout).map((object) => object.kind)).toContain('Deployment');
  });

  it('reads a directory recursively', async () => {
    await writeInput('orders.yaml', ORDERS);
    const nested = join(directory, 'team');
    await mkdir(nested);
    await writeFile(join(nested, 'inventory.yml'), INVENTORY);
    await writeFile(join(nested, 'notes.txt'), 'not a manifest');
    const result = await synth(['-f', directory]);
    expect(new Set(documents(result.stdout).map((object) => object.metadata.name))).toEqual(new Set(['orders', 'inventory']));
  });

  it('puts a Microservice without namespace in --namespace', async () => {
    const input = await writeInput('inventory.yaml', INVENTORY);
    const result = await synth(['-f', input, '-n', 'stock']);
    expect(new Set(documents(result.stdout).map((object) => object.metadata.namespace))).toEqual(new Set(['stock']));
  });

  it('fills in schema defaults', async () => {
    const input = await writeInput('inventory.yaml', INVENTORY);
    const deployment = documents((await synth(['-f', input])).stdout).find((object) => object.kind === 'Deployment');
    expect((deployment as unknown as { spec: { replicas: number } }).spec.replicas).toBe(1);
  });

  it('fills in nested defaults', async () => {
    const input = await writeInput('orders.yaml', ORDERS);
    const deployment = documents((await synth(['-f', input])).stdout).find((object) => object.kind === 'Deployment') as any;
    expect(deployment.spec.template.spec.containers[0].readinessProbe.periodSeconds).toBe(10);
  });

  it('renders no Istio objects with --mesh false', async () => {
    const input = await writeInput('orders.yaml', ORDERS);
    const result = await synth(['-f', input, '--mesh', 'false']);
    expect(documents(result.stdout).filter((object) => object.apiVersion.startsWith('networking.istio.io'))).toEqual([]);
  });

  it('follows --mesh like the operator', async () => {
    const input = await writeInput('orders.yaml', ORDERS);
    const result = await synth(['-f', input, '--mesh=true']);
    const kinds = documents(result.stdout).map((object) => object.kind);
    const expected = renderMicroservice(documents(ORDERS)[0] as unknown as Microservice, { ...DEFAULT_PLATFORM, mesh: { enabled: true } });
    expect(kinds).toEqual(expected.map((object) => object.kind));
  });

  it('skips other kinds with a notice', async () => {
    const input = await writeInput('all.yaml', `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n${ORDERS}`);
    const result = await synth(['-f', input]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('skipped Namespace shop');
  });

  it('leaves unchanged files alone', async () => {
    const input = await writeInput('orders.yaml', ORDERS);
    const output = join(directory, 'dist');
    await synth(['-f', input, '-o', output]);
    const second = await synth(['-f', input, '-o', output]);
    expect(second.stdout).toBe('');
  });
});

describe('flywheel synth --prune', () => {
  it('deletes generated files of removed Microservices', async () => {
    const output = join(directory, 'dist');
    await synth(['-f', await writeInput('both.yaml', `${ORDERS}---\n${INVENTORY}`), '-o', output]);
    const result = await synth(['-f', await writeInput('orders.yaml', ORDERS), '-o', output, '--prune']);
    expect(result.stdout).toContain('deleted');
    expect(await readdir(output)).toEqual(['shop.orders.yaml']);
  });

  it('keeps files it did not generate', async () => {
    const output = join(directory, 'dist');
    await synth(['-f', await writeInput('orders.yaml', ORDERS), '-o', output]);
    await writeFile(join(output, 'namespace.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n');
    await synth(['-f', await writeInput('orders2.yaml', ORDERS), '-o', output, '--prune']);
    expect((await readdir(output)).sort()).toEqual(['namespace.yaml', 'shop.orders.yaml']);
  });
});

describe('flywheel synth invalid input', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['missing image', 'spec:\n  replicas: 1\n', /bad\.yaml:\d+:\d+: spec\.image: Required value/],
    ['negative replicas', 'spec:\n  image: a\n  replicas: -1\n', /bad\.yaml:8:3: spec\.replicas: Invalid value: -1: must be greater than or equal to 0/],
    ['unknown field', 'spec:\n  image: a\n  imag: b\n', /bad\.yaml:8:3: spec\.imag: unknown field; `kubectl explain microservice\.spec` lists the valid fields/],
    ['port above 65535', 'spec:\n  image: a\n  ports:\n    - name: http\n      port: 70000\n', /spec\.ports\[0\]\.port: Invalid value: 70000/],
    ['duplicate port names', 'spec:\n  image: a\n  ports:\n    - {name: http, port: 80}\n    - {name: http, port: 81}\n', /spec\.ports\[1\]: Duplicate value: \{"name":"http"\}/],
    ['unquoted env number', 'spec:\n  image: a\n  env:\n    - name: X\n      value: 1000\n', /spec\.env\[0\]\.value: Invalid value: 1000: must be a string; quote it in YAML/],
    ['bad enum', 'spec:\n  image: a\n  release:\n    strategy: BlueGreen\n', /spec\.release\.strategy: Unsupported value: "BlueGreen"/],
    ['bad pattern', 'spec:\n  image: a\n  probes:\n    readiness:\n      http: {path: readyz, port: http}\n', /spec\.probes\.readiness\.http\.path: Invalid value: "readyz": must match/],
    ['image with spaces', 'spec:\n  image: "my image"\n', /spec\.image: Invalid value: "my image"/],
    ['duration with space', 'spec:\n  image: a\n  timeout: 5 sec\n', /spec\.timeout: Invalid value: "5 sec": must be a duration such as "250ms", "5s" or "1m30s"/],
    ['wrong type', 'spec:\n  image: a\n  replicas: three\n', /spec\.replicas: Invalid value: "three": must be an integer/],
    ['missing spec', '', /spec: Required value/],
  ];

  it.each(cases)('rejects %s', async (_name, body, message) => {
    const header = 'apiVersion: flywheel.dev/v1alpha1\nkind: Microservice\nmetadata:\n  name: bad\n  namespace: shop\n';
    const input = await writeInput('bad.yaml', header + body);
    const result = await synth(['-f', input]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
  });

  it.each([
    ['invalid name', 'metadata:\n  name: Orders_1\n', /metadata\.name: Invalid value: "Orders_1"/],
    ['missing name', 'metadata:\n  namespace: shop\n', /metadata\.name: Required value/],
    ['invalid namespace', 'metadata:\n  name: a\n  namespace: Shop\n', /metadata\.namespace: Invalid value: "Shop"/],
    ['number label', 'metadata:\n  name: a\n  labels:\n    tier: 1\n', /metadata\.labels\.tier: Invalid value: 1: must be a string/],
  ])('rejects %s', async (_name, metadata, message) => {
    const input = await writeInput('bad.yaml', `apiVersion: flywheel.dev/v1alpha1\nkind: Microservice\n${metadata}spec:\n  image: a\n`);
    const result = await synth(['-f', input]);
    expect(result.stderr).toMatch(message);
  });

  it('rejects another apiVersion', async () => {
    const input = await writeInput('bad.yaml', ORDERS.replace('v1alpha1', 'v1beta1'));
    const result = await synth(['-f', input]);
    expect(result.stderr).toContain('bad.yaml:1:1: apiVersion "flywheel.dev/v1beta1" of Microservice is not supported');
  });

  it('reports YAML syntax errors with a position', async () => {
    const input = await writeInput('bad.yaml', 'apiVersion: [\n');
    const result = await synth(['-f', input]);
    expect(result.stderr).toMatch(/bad\.yaml:\d+:\d+: invalid YAML:/);
  });

  it('rejects the same Microservice twice', async () => {
    const first = await writeInput('a.yaml', ORDERS);
    const second = await writeInput('b.yaml', ORDERS);
    const result = await synth(['-f', first, '-f', second]);
    expect(result.stderr).toMatch(/b\.yaml:4:3: Microservice shop\/orders is also defined in .*a\.yaml \(document 1\)/);
  });

  it('writes nothing when any input is invalid', async () => {
    const output = join(directory, 'dist');
    const good = await writeInput('good.yaml', ORDERS);
    const bad = await writeInput('bad.yaml', INVENTORY.replace('image: ghcr.io/acme/inventory:2.0.0', 'replicas: 1'));
    const result = await synth(['-f', good, '-f', bad, '-o', output]);
    expect(result.code).toBe(1);
    expect(await readdir(output).catch(() => [])).toEqual([]);
  });

  it('reports every error at once', async () => {
    const input = await writeInput('bad.yaml', INVENTORY.replace('image: ghcr.io/acme/inventory:2.0.0', 'replicas: -2\n  imag: x'));
    const result = await synth(['-f', input]);
    expect(result.stderr).toContain('3 error(s)');
  });

  it('rejects input without Microservices', async () => {
    const input = await writeInput('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n');
    const result = await synth(['-f', input]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the input contains no Microservice');
  });

  it('rejects a missing file', async () => {
    const result = await synth(['-f', join(directory, 'missing.yaml')]);
    expect(result.stderr).toContain('missing.yaml: not found');
  });

  it('rejects a directory without manifests', async () => {
    const result = await synth(['-f', directory]);
    expect(result.stderr).toContain('directory contains no .yaml, .yml, .json files');
  });
});

describe('flywheel synth command line', () => {
  it.each([
    [['-o', 'dist'], /missing -f/],
    [['-f'], /-f needs a value/],
    [['-f', 'a.yaml', '--namespace', 'Bad'], /--namespace "Bad" is not a valid namespace name/],
    [['-f', 'a.yaml', '--prune'], /--prune needs -o DIR/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseSynthArgs(argv)).toThrow(message);
  });

  it('passes platform flags through in order', () => {
    expect(parseSynthArgs(['--mesh', 'false', '-f', 'a.yaml', '--kubernetes-version=1.30']).platformArgs).toEqual(['--mesh', 'false', '--kubernetes-version=1.30']);
  });

  it('exits 2 on an invalid platform flag', async () => {
    const result = await synth(['-f', 'a.yaml', '--mesh', 'maybe']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--mesh "maybe" is invalid');
  });

  it('exits 2 on an unknown flag', async () => {
    const result = await synth(['-f', 'a.yaml', '--colour']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("run 'flywheel synth --help'");
  });

  it('prints help', async () => {
    const result = await synth(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: flywheel synth');
  });
});

describe('validateMicroservice', () => {
  it('drops a null field and fills its default', () => {
    const object: Record<string, unknown> = { apiVersion: 'flywheel.dev/v1alpha1', kind: 'Microservice', metadata: { name: 'a' }, spec: { image: 'a', replicas: null } };
    expect(validateMicroservice(object)).toEqual([]);
    expect((object.spec as { replicas: number }).replicas).toBe(1);
  });

  it('ignores status', () => {
    const object = { apiVersion: 'flywheel.dev/v1alpha1', kind: 'Microservice', metadata: { name: 'a' }, spec: { image: 'a' }, status: { phase: 'Nonsense' } };
    expect(validateMicroservice(object)).toEqual([]);
  });
});

describe('constructs for cdk8s apps', () => {
  it('synthesize what flywheel synth writes', async () => {
    const input = await writeInput('orders.yaml', ORDERS);
    const written = documents((await synth(['-f', input])).stdout);

    const microservice = documents(ORDERS)[0] as Record<string, unknown>;
    validateMicroservice(microservice);
    const app = new App();
    const chart = new MicroserviceChart(app, 'orders', { microservice: microservice as unknown as Microservice, platform: DEFAULT_PLATFORM });
    expect(chart.toJson()).toEqual(written);
  });
});
