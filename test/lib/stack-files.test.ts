/**
 * What a full synth writes into the stack's working directory (Terraform's
 * cwd under cdktf): the vendored provider and its lock entry, the function
 * code a live target's resource names (at stable paths), and every service's
 * whole config for review.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import {
  ExistingGatewayTarget,
  FunctionCode,
  MockBackend,
  ScfBackend,
  Service,
  SwarmServiceTarget,
  type DeploymentTarget,
} from '../../lib';
import { bundleHash, validateConfig, type GatewayConfig } from '../../model';
import { h1Hash, providerBuild, readBundleDir } from '../../provider';
import { tempDir } from '../helpers/temp';

interface Options {
  outdir: string;
  code: string;
  services?: { id: string; target: () => DeploymentTarget }[];
}

const live = (): DeploymentTarget => new ExistingGatewayTarget({ endpoint: 'http://127.0.0.1:9990' });

/** Synthesizes a stack `s` into `outdir` as `cdktf synth` does; returns the stack's working directory. */
function synthInto({ outdir, code, services = [{ id: 'pets', target: live }] }: Options): string {
  const app = Testing.app({ outdir });
  const stack = new TerraformStack(app, 's');
  new DockerProvider(stack, 'docker', {});
  for (const { id, target } of services) {
    const svc = new Service(stack, id, { deployment: target() });
    svc.addApi('ping', { path: '=/ping', backend: MockBackend.json({ pong: true }) });
    svc.addApi('hello', {
      path: '=/hello',
      backend: new ScfBackend({
        functionName: 'hello',
        code: FunctionCode.fromDirectory(code, { handler: 'index.main' }),
      }),
    });
  }
  app.synth();
  return join(outdir, 'stacks', 's');
}

function files(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name), base) : [join(dir, e.name).slice(base.length + 1)]))
    .sort();
}

interface Tf {
  resource: {
    apigw_service: Record<
      string,
      {
        apis: Record<
          string,
          { backend: { scf: { function: { source: { bundled: { dir: string; sha256: string } } } } } }
        >;
      }
    >;
  };
}

function bundledSource(stackDir: string): { dir: string; sha256: string } {
  const tf = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as Tf;
  return tf.resource.apigw_service.pets!.apis.hello!.backend.scf.function.source.bundled;
}

describe('files synth writes into the stack working directory', () => {
  let root: string;
  let code: string;
  beforeEach(() => {
    root = tempDir('apigw-stack-files-');
    code = join(root, 'code');
    mkdirSync(join(code, 'lib'), { recursive: true });
    writeFileSync(join(code, 'index.js'), 'exports.main = async () => require("./lib/v.js");\n');
    writeFileSync(join(code, 'lib', 'v.js'), 'module.exports = 1;\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('vendors the provider for each platform and pins it in .terraform.lock.hcl', () => {
    const stackDir = synthInto({ outdir: join(root, 'out'), code });
    const b = providerBuild();
    const versionDir = join(stackDir, 'terraform.d', 'plugins', b.hostname, b.namespace, b.type, b.version);
    expect(readdirSync(versionDir).sort()).toEqual(['darwin_amd64', 'darwin_arm64', 'linux_amd64', 'linux_arm64']);
    const launcher = join(versionDir, 'linux_amd64', `terraform-provider-apigw_v${b.version}`);
    expect(statSync(launcher).mode & 0o111).not.toBe(0);
    expect(readFileSync(launcher, 'utf8')).toContain('exec "${APIGW_NODE:-node}"');
    const lock = readFileSync(join(stackDir, '.terraform.lock.hcl'), 'utf8');
    expect(lock).toContain(`provider "cdktf-apigw.dev/cdktf-apigw/apigw" {\n  version     = "${b.version}"`);
    for (const platform of readdirSync(versionDir)) expect(lock).toContain(`"${h1Hash(join(versionDir, platform))}"`);
  });

  it('stages function code at a stable path, hashed as the provider hashes it, and drops stale files', () => {
    const out = join(root, 'out');
    const first = synthInto({ outdir: out, code });
    const source = bundledSource(first);
    expect(source.dir).toBe('apigw/pets/functions/default/hello/$LATEST');
    expect(files(join(first, source.dir))).toEqual(['index.js', 'lib/v.js']);
    expect(readBundleDir(join(first, source.dir)).sha256).toBe(source.sha256);

    // A code change: same folder, new hash; a file gone from the code is gone from the stack too.
    rmSync(join(code, 'lib'), { recursive: true });
    writeFileSync(join(code, 'index.js'), 'exports.main = async () => 2;\n');
    const second = synthInto({ outdir: out, code });
    const changed = bundledSource(second);
    expect(changed.dir).toBe(source.dir);
    expect(changed.sha256).not.toBe(source.sha256);
    expect(files(join(second, changed.dir))).toEqual(['index.js']);
    expect(changed.sha256).toBe(bundleHash([{ path: 'index.js', data: readFileSync(join(code, 'index.js')) }]));
  });

  it("writes every service's whole config for review, live and baked alike, and forgets removed services", () => {
    const out = join(root, 'out');
    const stackDir = synthInto({
      outdir: out,
      code,
      services: [
        { id: 'pets', target: live },
        { id: 'shop', target: () => new SwarmServiceTarget() },
      ],
    });
    expect(readdirSync(join(stackDir, 'apigw')).sort()).toEqual(['pets', 'pets.json', 'shop.json']);
    for (const name of ['pets', 'shop']) {
      const config = JSON.parse(readFileSync(join(stackDir, 'apigw', `${name}.json`), 'utf8')) as GatewayConfig;
      expect(validateConfig(config).ok).toBe(true);
      expect(config.service.name).toBe(name);
      expect(config.service.listeners.http?.port).toBe(8080);
      expect(config.apis.map((a) => a.name)).toEqual(['ping', 'hello']);
      const backend = config.apis[1]!.backend as { function: { source: { sha256?: string } } };
      expect(backend.function.source.sha256).toBe(bundledSource(stackDir).sha256);
    }

    const again = synthInto({ outdir: out, code, services: [{ id: 'shop', target: () => new SwarmServiceTarget() }] });
    expect(readdirSync(join(again, 'apigw'))).toEqual(['shop.json']);
    expect(existsSync(join(again, 'apigw', 'pets'))).toBe(false);
  });
});
