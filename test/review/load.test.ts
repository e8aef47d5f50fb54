/**
 * loadConfigs / loadGateways, what `apigw diff`, `docs` and `openapi` read:
 * a cdktf synth output folder (each service's stacks/<stack>/apigw/<service>.json,
 * never the live image's start config), an older output with only
 * config/gateway.json, a single config file, and the errors a caller gets for
 * a missing path, an empty folder, a file that is not JSON, an invalid config
 * and two configs of one service.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing, TerraformStack } from 'cdktf';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { MockBackend, Service } from '../../lib';
import { loadConfigs, loadGateways } from '../../review/load';
import { api, gatewayConfig, mock } from '../helpers/config';
import { tempDir } from '../helpers/temp';

/** `cdktf synth` into `outdir`: one service per stack (`shop`: `pets`, `sales`: `orders`, `chat`: `chat`). */
function synth(outdir: string, chatServiceName = 'chat'): string {
  const app = Testing.app({ outdir });
  const service = (stackName: string, name: string, path: string): void => {
    const stack = new TerraformStack(app, stackName);
    new DockerProvider(stack, 'docker', {});
    new Service(stack, name).addApi(`list-${name}`, { path, backend: new MockBackend({ body: '[]' }) });
  };
  service('shop', 'pets', '=/pets');
  service('sales', 'orders', '=/orders');
  service('chat', chatServiceName, '=/hello');
  app.synth();
  return outdir;
}

/** Writes `doc` as JSON to `dir/...segments`, making the folders. */
function write(dir: string, segments: string[], doc: unknown): string {
  const file = join(dir, ...segments);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
}

describe('loadConfigs on cdktf synth output', () => {
  const out = synth(join(tempDir('apigw-load-synth-'), 'cdktf.out'));

  it("reads every stack's services by name, with their APIs (not the live image's start config)", () => {
    const configs = loadConfigs(out);
    expect([...configs.keys()]).toEqual(['chat', 'orders', 'pets']);
    // The live image's build context holds a start config without APIs: never the one read.
    expect(configs.get('pets')?.apis.map((a) => a.name)).toEqual(['list-pets']);
    expect(configs.get('orders')?.apis.map((a) => a.name)).toEqual(['list-orders']);
    expect(configs.get('chat')?.apis.map((a) => a.name)).toEqual(['list-chat']);
    // That start config is there, read when its folder is given alone: the same service, no APIs.
    expect(loadConfigs(join(out, 'stacks', 'shop', 'assets')).get('pets')?.apis).toEqual([]);
  });

  it('gives the folder each config was read from, and reads one stack folder alone', () => {
    const gateways = loadGateways(out);
    expect(gateways.get('pets')?.dir).toBe(join(out, 'stacks', 'shop', 'apigw'));
    expect(gateways.get('chat')?.dir).toBe(join(out, 'stacks', 'chat', 'apigw'));
    expect([...loadConfigs(join(out, 'stacks', 'shop')).keys()]).toEqual(['pets']);
  });

  it('reads a service file on its own', () => {
    const configs = loadConfigs(join(out, 'stacks', 'chat', 'apigw', 'chat.json'));
    expect([...configs.keys()]).toEqual(['chat']);
  });

  it('refuses two configs of one service', () => {
    const twice = synth(join(tempDir('apigw-load-twice-'), 'cdktf.out'), 'pets');
    expect(() => loadConfigs(twice)).toThrow(`${twice} holds two configs of service "pets"`);
  });
});

describe('loadConfigs on config files', () => {
  const config = gatewayConfig([api('hello', '=/hello', mock('{}'))], { name: 'greeter' });

  it('reads a single gateway.json, from the folder it is in', () => {
    const dir = tempDir('apigw-load-file-');
    const file = write(dir, ['gateway.json'], config);
    const gateways = loadGateways(file);
    expect([...gateways.keys()]).toEqual(['greeter']);
    expect(gateways.get('greeter')?.dir).toBe(dir);
    expect(gateways.get('greeter')?.config.apis.map((a) => a.name)).toEqual(['hello']);
  });

  it("finds an older output's config/gateway.json when no stack has an apigw/ folder", () => {
    const dir = tempDir('apigw-load-old-');
    write(dir, ['stacks', 's', 'cdk.tf.json'], {}); // a stack without apigw/
    const file = write(dir, ['stacks', 's', 'assets', 'img', 'HASH', 'config', 'gateway.json'], config);
    // Neither of these is read: a gateway.json outside a config/ folder, and anything under node_modules.
    write(dir, ['stacks', 's', 'assets', 'img', 'HASH', 'gateway.json'], 'not json');
    write(dir, ['node_modules', 'x', 'config', 'gateway.json'], 'not json');
    const gateways = loadGateways(dir);
    expect([...gateways.keys()]).toEqual(['greeter']);
    expect(gateways.get('greeter')?.dir).toBe(join(file, '..'));
  });

  it('says a folder without configs needs cdktf synth', () => {
    const dir = tempDir('apigw-load-empty-');
    mkdirSync(join(dir, 'stacks', 's'), { recursive: true });
    expect(() => loadConfigs(dir)).toThrow(
      `${dir} holds no stacks/<stack>/apigw/<service>.json or config/gateway.json (run cdktf synth first)`,
    );
  });

  it('throws the file system error for a missing path', () => {
    const missing = join(tempDir('apigw-load-missing-'), 'nope.json');
    expect(() => loadConfigs(missing)).toThrow(
      `${missing} not found: give a cdktf.out folder or a gateway config file`,
    );
  });

  it('names a file that is not JSON', () => {
    const file = write(tempDir('apigw-load-text-'), ['gateway.json'], 'service: greeter\n');
    expect(() => loadConfigs(file)).toThrow(new RegExp(`^${escape(file)} is not JSON: `));
  });

  it("names a file that is not a valid gateway config, with the validator's issues", () => {
    const dir = tempDir('apigw-load-invalid-');
    const file = write(dir, ['gateway.json'], { ...config, version: 2, apis: [{ name: 'x' }] });
    let message = '';
    try {
      loadConfigs(file);
    } catch (err) {
      message = (err as Error).message;
    }
    const [first, ...issues] = message.split('\n');
    expect(first).toBe(`${file} is not a valid gateway config:`);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((line) => /^ {2}\/\S*: /.test(line))).toBe(true);
    expect(message).toMatch(/^ {2}\/version: /m);
    expect(message).toMatch(/^ {2}\/apis\/0\b/m);
  });

  it('reads a stack folder whose apigw/ holds a config that is not valid, and says which file', () => {
    const dir = tempDir('apigw-load-stack-');
    write(dir, ['stacks', 's', 'cdk.tf.json'], {});
    const bad = write(dir, ['stacks', 's', 'apigw', 'bad.json'], { version: 1 });
    write(dir, ['stacks', 's', 'apigw', 'notes.txt'], 'not a config');
    expect(() => loadConfigs(dir)).toThrow(`${bad} is not a valid gateway config:`);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
