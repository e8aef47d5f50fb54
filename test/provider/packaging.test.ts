/**
 * Packaging under real terraform: the lock file's h1 hash is the one
 * terraform computes, a rebuilt provider gets a new version (no stale build
 * from the plugin cache), and the cdktf JSON attributes plan back to the
 * config they came from.
 */
import { appendFileSync, cpSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { providerCommand } from '../../cli/commands/provider';
import type { AppliedConfig, FunctionTarget } from '../../model';
import { serviceResourceAttributes } from '../../provider/cdktf-json';
import { fromTerraformValue } from '../../provider/convert';
import { readBundleDir } from '../../provider/bundle-dir';
import { serviceShapes } from '../../provider/service-resource';
import type { TfValue } from '../../provider/tf-value';
import { mergeLockFile, providerBuild, vendorProvider } from '../../provider/vendor';
import { providerVersion } from '../../provider/version';
import { describeWithTerraform, terraformEnv, terraformOk } from '../helpers/terraform';
import { otherRichConfig, richConfig } from './rich-config';
import { tempDir } from '../helpers/temp';

const BUNDLE_DIR = join(__dirname, '..', '..', 'dist', 'provider-bundle');
const REQUIRED = `terraform {
  required_providers {
    apigw = { source = "cdktf-apigw.dev/cdktf-apigw/apigw" }
  }
}
`;

describe('lock file', () => {
  const entry = (v: string): string =>
    `provider "cdktf-apigw.dev/cdktf-apigw/apigw" {\n  version     = "${v}"\n  constraints = "${v}"\n  hashes = [\n    "h1:x",\n  ]\n}\n`;
  const docker = [
    'provider "registry.terraform.io/kreuzwerker/docker" {',
    '  version     = "3.6.2"',
    '  hashes = [',
    '    "h1:abc=",',
    '  ]',
    '}',
    '',
  ].join('\n');

  it('is written with our entry when there is none', () => {
    expect(mergeLockFile(undefined, 'cdktf-apigw.dev/cdktf-apigw/apigw', '1.0.0+b1', ['h1:x'])).toContain(
      entry('1.0.0+b1'),
    );
  });

  it("replaces our entry and keeps other providers' entries as they are", () => {
    const before = `# header\n\n${docker}\n${entry('1.0.0+b1')}`;
    const after = mergeLockFile(before, 'cdktf-apigw.dev/cdktf-apigw/apigw', '1.0.0+b2', ['h1:x']);
    expect(after).toBe(`# header\n\n${docker}\n${entry('1.0.0+b2')}`);
    expect(mergeLockFile(`# header\n\n${docker}`, 'cdktf-apigw.dev/cdktf-apigw/apigw', '1.0.0+b2', ['h1:x'])).toBe(
      `# header\n\n${docker}\n${entry('1.0.0+b2')}`,
    );
  });
});

describe('apigw provider install', () => {
  it('vendors the provider into a folder and prints the required_providers entry', async () => {
    const dir = tempDir('apigw-install-');
    const out: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
      out.push(String(c));
      return true;
    });
    try {
      expect(await providerCommand.run(['install', dir])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(out.join('')).toContain('apigw = { source = "cdktf-apigw.dev/cdktf-apigw/apigw" }');
    expect(readFileSync(join(dir, '.terraform.lock.hcl'), 'utf8')).toContain(
      'provider "cdktf-apigw.dev/cdktf-apigw/apigw"',
    );
    expect(await providerCommand.run(['uninstall'])).toBe(2);
  });
});

describe('provider version', () => {
  it('is the package version plus the bundle hash as build metadata, new for new bytes', () => {
    expect(providerVersion('0.1.0', Buffer.from('a'))).toMatch(/^0\.1\.0\+b[0-9a-f]{12}$/);
    expect(providerVersion('0.1.0', Buffer.from('b'))).not.toBe(providerVersion('0.1.0', Buffer.from('a')));
    expect(providerVersion('1.0.0+x', Buffer.from('a'))).toMatch(/^1\.0\.0\+x\.b[0-9a-f]{12}$/);
  });
});

describeWithTerraform('packaging under terraform', () => {
  const env = terraformEnv();

  it('writes the h1 hash terraform computes for the mirror (terraform providers lock -fs-mirror)', async () => {
    const ours = tempDir('apigw-h1-');
    const vendored = vendorProvider(ours, { bundleDir: BUNDLE_DIR });
    const theirs = tempDir('apigw-h1-tf-');
    writeFileSync(join(theirs, 'main.tf'), REQUIRED);
    await terraformOk(
      theirs,
      [
        'providers',
        'lock',
        `-fs-mirror=${join(ours, 'terraform.d', 'plugins')}`,
        '-platform=linux_amd64',
        '-platform=darwin_arm64',
      ],
      env,
    );
    const lock = readFileSync(join(theirs, '.terraform.lock.hcl'), 'utf8');
    expect(lock).toContain(`version = "${vendored.version}"`);
    const hashes = [...lock.matchAll(/"(h1:[^"]+)"/g)].map((m) => m[1]);
    // linux_amd64 (this machine) carries the code cache, so its package hash differs from darwin_arm64's.
    expect(hashes.sort()).toEqual([...vendored.h1].sort());
    expect(vendored.h1).toHaveLength(2);
  });

  it('installs a rebuilt provider, not the older build cached under the same package version', async () => {
    const cache = tempDir('apigw-plugin-cache-');
    const cacheEnv = terraformEnv({ TF_PLUGIN_CACHE_DIR: cache });
    const stack = tempDir('apigw-rebuild-');
    writeFileSync(join(stack, 'main.tf'), REQUIRED);
    const first = vendorProvider(stack, { bundleDir: BUNDLE_DIR });
    await terraformOk(stack, ['init', '-input=false', '-no-color'], cacheEnv);

    // The same package version, rebuilt with other bytes.
    const rebuilt = tempDir('apigw-rebuilt-bundle-');
    cpSync(BUNDLE_DIR, rebuilt, { recursive: true });
    appendFileSync(join(rebuilt, 'provider.cjs'), '\n// rebuilt\n');
    const build = providerBuild(BUNDLE_DIR);
    const pkgVersion = build.version.split('+')[0] as string;
    const version = providerVersion(
      pkgVersion,
      Buffer.concat([readFileSync(join(rebuilt, 'provider.cjs')), readFileSync(join(rebuilt, 'launch.cjs'))]),
    );
    writeFileSync(join(rebuilt, 'provider.json'), JSON.stringify({ ...build, version }));
    const second = vendorProvider(stack, { bundleDir: rebuilt });
    expect(second.version).not.toBe(first.version);
    expect(second.version.startsWith(`${pkgVersion}+`)).toBe(true);

    const init = await terraformOk(stack, ['init', '-input=false', '-no-color'], cacheEnv);
    expect(init.stdout).toContain(`v${second.version}`);
    const installed = join(
      stack,
      '.terraform/providers/cdktf-apigw.dev/cdktf-apigw/apigw',
      second.version,
      'linux_amd64',
      'provider.cjs',
    );
    expect(readFileSync(realpathSync(installed), 'utf8').endsWith('// rebuilt\n')).toBe(true);
    const shownVersion = await terraformOk(stack, ['version'], cacheEnv);
    expect(shownVersion.stdout).toContain(`provider cdktf-apigw.dev/cdktf-apigw/apigw v${second.version}`);
  });

  it.each([
    ['richConfig', richConfig],
    ['otherRichConfig', otherRichConfig],
  ])('plans the cdktf JSON attributes of %s back to the same config, ${ and %{ taken literally', async (_n, make) => {
    const stack = tempDir('apigw-json-');
    vendorProvider(stack, { bundleDir: BUNDLE_DIR });
    const config = withRealBundles(make(), stack);
    const resource = serviceResourceAttributes(config, { secrets: { KEY_ONE: '${var.key_one}' } });
    writeFileSync(
      join(stack, 'main.tf.json'),
      JSON.stringify({
        terraform: { required_providers: { apigw: { source: 'cdktf-apigw.dev/cdktf-apigw/apigw' } } },
        variable: { key_one: { type: 'string', sensitive: true, default: 'k1' } },
        provider: { apigw: [{ endpoint: 'http://127.0.0.1:9', token: 'unused-for-a-create-plan' }] },
        resource: { apigw_service: { pets: resource } },
      }),
    );
    await terraformOk(stack, ['init', '-input=false', '-no-color'], env);
    await terraformOk(stack, ['plan', '-input=false', '-no-color', '-out=tfplan'], env);
    const shown = await terraformOk(stack, ['show', '-json', 'tfplan'], env);
    const after = (JSON.parse(shown.stdout) as { resource_changes: { change: { after: Record<string, TfValue> } }[] })
      .resource_changes[0]!.change.after;
    const shapes = serviceShapes();
    const back = fromTerraformValue(shapes.config, after, { order: () => after.api_order as string[] });
    expect(back.value).toEqual(config);
    expect(after.secrets).toEqual({ KEY_ONE: 'k1' });
    const regex = config.apis.find((a) => a.name === 'regex');
    if (regex) expect(regex.backend).toMatchObject({ body: '${not.a.template} %{if x} $${y} %%{z} $$ %' });
  });
});

/** Gives each bundled source a real folder in the stack and its real hash (plan checks them). */
function withRealBundles(config: AppliedConfig, stack: string): AppliedConfig {
  const copy = structuredClone(config);
  const fix = (t: FunctionTarget | undefined): void => {
    if (t?.source.type !== 'bundled') return;
    const dir = join(stack, t.source.dir);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.js'), `exports.main_handler = async () => (${JSON.stringify(t.functionName)});\n`);
    t.source.sha256 = readBundleDir(dir).sha256;
  };
  for (const api of copy.apis) {
    const b = api.backend;
    if (b.type === 'scf') fix(b.function);
    if (b.type === 'websocketFunctions') [b.register, b.transfer, b.cleanup].forEach(fix);
  }
  return copy;
}
