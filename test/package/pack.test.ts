/**
 * The package as users get it: `npm pack`, install the tarball into a fresh
 * cdktf app outside this repo, synthesize a small stack with it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};

it('installs from the tarball into a fresh cdktf app and synthesizes', () => {
  const work = tempDir('apigw-pack-');
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
  const tarball = join(work, out.trim().split('\n').pop() as string);
  const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
  expect(listing).toContain('package/dist/runtime-bundle/gateway.js');
  expect(listing).toContain('package/dist/provider-bundle/provider.cjs');
  expect(listing).toContain('package/dist/provider-bundle/provider.json');
  expect(listing).toContain('package/runtime/Dockerfile');
  expect(listing).not.toContain('package/test/');
  expect(listing).not.toMatch(/package\/(lib|runtime)\/[^\n]*\.ts\n/);
  // Source maps would point at sources the package does not ship.
  expect(listing).not.toMatch(/\.map\n/);
  // Relative links of the README resolve inside the package.
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const links = [...readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1] as string);
  for (const link of links.filter((l) => !/^[a-z]+:/.test(l))) expect(listing).toContain(`package/${link}\n`);

  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'consumer-app',
      private: true,
      dependencies: {
        'cdktf-apigw': `file:${tarball}`,
        cdktf: pkg.devDependencies.cdktf,
        constructs: pkg.devDependencies.constructs,
        '@cdktf/provider-docker': pkg.devDependencies['@cdktf/provider-docker'],
      },
    }),
  );
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: app,
    stdio: 'pipe',
  });
  writeFileSync(
    join(app, 'main.js'),
    `const { App, TerraformStack } = require('cdktf');
const { DockerProvider } = require('@cdktf/provider-docker/lib/provider');
const { Service, MockBackend } = require('cdktf-apigw');
const app = new App({ outdir: 'out' });
const stack = new TerraformStack(app, 'consumer');
new DockerProvider(stack, 'docker', {});
new Service(stack, 'edge').addApi('hello', { path: '=/hello', backend: MockBackend.json({ hi: 'there' }) });
app.synth();`,
  );
  writeFileSync(join(app, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: 'node main.js' }));
  execFileSync(process.execPath, ['main.js'], { cwd: app, env: { ...process.env, CHECKPOINT_DISABLE: '1' } });

  const stackDir = join(app, 'out', 'stacks', 'consumer');
  const tf = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as {
    resource: {
      docker_image: Record<string, { build: { context: string } }>;
      apigw_service: Record<string, { api_order: string[] }>;
    };
    terraform: { required_providers: Record<string, { source: string; version: string }> };
  };
  const context = join(stackDir, Object.values(tf.resource.docker_image)[0]!.build.context);
  expect(readdirSync(context).sort()).toEqual(['.dockerignore', 'Dockerfile', 'config', 'functions', 'gateway']);
  // The image holds the start config; the APIs are the provider's resource, and the review file holds them all.
  const config = JSON.parse(readFileSync(join(context, 'config', 'gateway.json'), 'utf8')) as {
    apis: { name: string }[];
  };
  expect(config.apis).toEqual([]);
  expect(tf.resource.apigw_service.edge!.api_order).toEqual(['hello']);
  const review = JSON.parse(readFileSync(join(stackDir, 'apigw', 'edge.json'), 'utf8')) as { apis: { name: string }[] };
  expect(review.apis.map((a) => a.name)).toEqual(['hello']);
  expect(existsSync(join(context, 'gateway', 'gateway.js'))).toBe(true);
  // The provider is vendored from the installed package, pinned in the lock file.
  const { version } = tf.terraform.required_providers.apigw!;
  const platforms = join(stackDir, 'terraform.d', 'plugins', 'cdktf-apigw.dev', 'cdktf-apigw', 'apigw', version);
  expect(existsSync(join(platforms, 'linux_amd64', 'provider.cjs'))).toBe(true);
  expect(readFileSync(join(stackDir, '.terraform.lock.hcl'), 'utf8')).toContain(`version     = "${version}"`);
  // Everything the README tells users to import resolves from the installed package.
  const specifiers = [...readme.matchAll(/(?:from |require\()'(cdktf-apigw(?:\/[^']*)?)'/g)].map((m) => m[1] as string);
  expect(specifiers).toEqual(expect.arrayContaining(['cdktf-apigw', 'cdktf-apigw/sign', 'cdktf-apigw/functions']));
  for (const spec of new Set(specifiers)) {
    execFileSync(process.execPath, ['-e', `require.resolve(${JSON.stringify(spec)})`], { cwd: app });
  }
  const signed = execFileSync(
    process.execPath,
    [
      '-e',
      `process.stdout.write(Object.keys(require('cdktf-apigw/sign').signRequest({ secretId: 'a', secretKey: 'b' })).join(' '))`,
    ],
    { cwd: app, encoding: 'utf8' },
  );
  expect(signed).toBe('x-date authorization');
  // The testing helper runs a stack's gateway from the installed package.
  const tested = execFileSync(
    process.execPath,
    [
      '-e',
      `const { App, TerraformStack } = require('cdktf');
const { DockerProvider } = require('@cdktf/provider-docker/lib/provider');
const { Service, MockBackend } = require('cdktf-apigw');
const { startGateway } = require('cdktf-apigw/testing');
const stack = new TerraformStack(new App({ outdir: 'out-testing' }), 'tested');
new DockerProvider(stack, 'docker', {});
new Service(stack, 'edge').addApi('hello', { path: '=/hello', backend: MockBackend.json({ hi: 'there' }) });
startGateway(stack).then(async (gateway) => {
  const res = await gateway.request('/hello');
  await gateway.stop();
  process.stdout.write(res.status + ' ' + res.body);
});`,
    ],
    { cwd: app, encoding: 'utf8' },
  );
  expect(tested).toBe('200 {"hi":"there"}');
  const installed = JSON.parse(
    readFileSync(join(app, 'node_modules', 'cdktf-apigw', 'package.json'), 'utf8'),
  ) as Record<string, unknown>;
  expect(installed).toMatchObject({
    repository: { url: expect.stringMatching(/^git\+https:\/\//) },
    homepage: expect.stringMatching(/^https:\/\//),
    bugs: { url: expect.stringMatching(/^https:\/\//) },
  });
  // The Terraform provider vendors from the installed package (its bundle needs no node_modules).
  const vendored = JSON.parse(
    execFileSync(
      process.execPath,
      [
        '-e',
        `console.log(JSON.stringify(require('cdktf-apigw/provider').vendorProvider(${JSON.stringify(stackDir)})))`,
      ],
      { cwd: app, encoding: 'utf8' },
    ),
  ) as { source: string; version: string };
  expect(vendored.source).toBe('cdktf-apigw.dev/cdktf-apigw/apigw');
  expect(
    existsSync(join(stackDir, 'terraform.d/plugins', vendored.source, vendored.version, 'linux_amd64', 'provider.cjs')),
  ).toBe(true);
  // A construct library must not bring its own copy of the framework.
  expect(existsSync(join(app, 'node_modules', 'cdktf-apigw', 'node_modules', 'cdktf'))).toBe(false);
}, 240_000);
