// The Terraform provider's wall times: terraform plan and apply of one
// apigw_service with 1 and 1,000 APIs against a local gateway process (the
// bundled runtime with its admin listener on 127.0.0.1), and the provider's
// time to the handshake line. Prints a Markdown report. Needs `npm run build`
// and terraform on PATH; every process it starts is stopped by its PID.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { vendorProvider, serviceResourceAttributes } = require(join(root, 'dist', 'provider', 'index.js'));
const { DEFAULT_LIMITS } = require(join(root, 'dist', 'model', 'index.js'));
const TOKEN = 'bench-admin-token-0123456789abcdef';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function service() {
  return {
    name: 'bench',
    id: 'service-bench',
    stage: { name: 'release', variables: {} },
    healthPath: '/__apigw/health',
    limits: DEFAULT_LIMITS,
    keyPairs: [],
    usagePlans: [],
  };
}

function apis(n, body) {
  return Array.from({ length: n }, (_, i) => ({
    name: `api${String(i).padStart(4, '0')}`,
    frontend: { type: 'http', rawPath: `=/api/${i}`, match: 'exact', path: `/api/${i}`, method: 'GET' },
    auth: { type: 'none' },
    cors: null,
    parameters: [],
    backend: { type: 'mock', statusCode: 200, headers: {}, body: i === 0 ? body : `"${i}"`, isBase64Encoded: false },
    response: { errorCodes: [] },
  }));
}

async function startGateway() {
  const dir = mkdtempSync(join(tmpdir(), 'apigw-bench-gw-'));
  const file = join(dir, 'gateway.json');
  writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      service: {
        ...service(),
        listeners: { http: { port: 0, host: '127.0.0.1', redirectToHttps: false } },
        admin: { host: '127.0.0.1', port: 0, token: { env: 'APIGW_ADMIN_TOKEN' } },
      },
      apis: [],
    }),
  );
  const child = spawn(
    process.execPath,
    [join(root, 'dist', 'runtime-bundle', 'gateway.js'), 'serve', '--config', file, '--state-dir', join(dir, 'state')],
    { env: { ...process.env, APIGW_ADMIN_TOKEN: TOKEN, APIGW_ACCESS_LOG: 'off' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const admin = await new Promise((resolve, reject) => {
    let buf = '';
    child.stderr.on('data', (c) => {
      buf += c;
      for (const line of buf.split('\n')) {
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line);
        if (e.event === 'listening') resolve(e.admin);
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
    child.on('exit', (code) => reject(new Error(`gateway exited ${code}`)));
  });
  return {
    endpoint: `http://${admin}`,
    stop: () => new Promise((r) => (child.on('exit', r), process.kill(child.pid, 'SIGTERM'))),
  };
}

function terraform(cwd, args, env) {
  const t0 = performance.now();
  const r = spawnSync('terraform', args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0 && !(args.includes('-detailed-exitcode') && r.status === 2))
    throw new Error(`terraform ${args[0]} failed:\n${r.stdout}\n${r.stderr}`);
  return performance.now() - t0;
}

function writeStack(dir, endpoint, n, body) {
  const config = { version: 1, service: service(), apis: apis(n, body) };
  writeFileSync(
    join(dir, 'main.tf.json'),
    JSON.stringify({
      terraform: { required_providers: { apigw: { source: 'cdktf-apigw.dev/cdktf-apigw/apigw' } } },
      provider: { apigw: [{ endpoint, token: TOKEN }] },
      resource: { apigw_service: { bench: serviceResourceAttributes(config) } },
    }),
  );
}

async function benchApis(n, endpoint) {
  const cliConfig = join(mkdtempSync(join(tmpdir(), 'apigw-bench-rc-')), 'rc');
  writeFileSync(cliConfig, '');
  const env = { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
  delete env.TF_PLUGIN_CACHE_DIR;
  const rows = {
    'plan (create)': [],
    'apply (create)': [],
    'plan (no changes)': [],
    'plan (one API changed)': [],
    'apply (one API changed)': [],
    destroy: [],
  };
  for (let round = 0; round < ROUNDS; round++) {
    const dir = mkdtempSync(join(tmpdir(), `apigw-bench-tf-${n}-`));
    vendorProvider(dir);
    writeStack(dir, endpoint, n, '"a"');
    terraform(dir, ['init', '-input=false'], env);
    rows['plan (create)'].push(terraform(dir, ['plan', '-input=false', '-detailed-exitcode'], env));
    rows['apply (create)'].push(terraform(dir, ['apply', '-input=false', '-auto-approve'], env));
    rows['plan (no changes)'].push(terraform(dir, ['plan', '-input=false', '-detailed-exitcode'], env));
    writeStack(dir, endpoint, n, '"b"');
    rows['plan (one API changed)'].push(terraform(dir, ['plan', '-input=false', '-detailed-exitcode'], env));
    rows['apply (one API changed)'].push(terraform(dir, ['apply', '-input=false', '-auto-approve'], env));
    rows.destroy.push(terraform(dir, ['destroy', '-input=false', '-auto-approve'], env));
  }
  return rows;
}

/** Time from spawning the launcher to the handshake line, with and without the code cache. */
async function handshake() {
  const dir = mkdtempSync(join(tmpdir(), 'apigw-bench-hs-'));
  const v = vendorProvider(dir);
  const base = join(dir, 'terraform.d', 'plugins', v.hostname, v.namespace, v.type, v.version);
  const cert = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      '/dev/null',
      '-subj',
      '/CN=terraform',
      '-days',
      '1',
    ],
    { encoding: 'utf8' },
  ).stdout;
  const env = {
    ...process.env,
    TF_PLUGIN_MAGIC_COOKIE: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2',
    PLUGIN_PROTOCOL_VERSIONS: '5,6',
    PLUGIN_CLIENT_CERT: cert,
  };
  const once = (platformDir) =>
    new Promise((resolve) => {
      const launcher = readdirSync(platformDir).find((f) => f.startsWith('terraform-provider-'));
      const t0 = performance.now();
      const child = spawn(join(platformDir, launcher), [], { env, stdio: ['ignore', 'pipe', 'ignore'] });
      child.stdout.once('data', () => {
        resolve(performance.now() - t0);
        process.kill(child.pid, 'SIGKILL');
      });
    });
  const here = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
  const other = readdirSync(base).find((p) => p !== here);
  const withCache = [];
  const without = [];
  const nodeOnly = [];
  for (let i = 0; i < 15; i++) {
    withCache.push(await once(join(base, here)));
    without.push(await once(join(base, other)));
    const t0 = performance.now();
    spawnSync('node', ['-e', '']);
    nodeOnly.push(performance.now() - t0);
  }
  return { withCache: median(withCache), without: median(without), nodeOnly: median(nodeOnly) };
}

const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const tfVersion = JSON.parse(
  spawnSync('terraform', ['version', '-json'], { encoding: 'utf8' }).stdout,
).terraform_version;
const gw = await startGateway();
try {
  const hs = await handshake();
  const results = { 1: await benchApis(1, gw.endpoint), 1000: await benchApis(1000, gw.endpoint) };
  console.log(`## Terraform provider (Terraform ${tfVersion}, Node ${process.versions.node}, load ${load} at start)\n`);
  console.log(
    `Provider start to the handshake line, median of 15: ${hs.withCache.toFixed(0)} ms with the code cache, ${hs.without.toFixed(0)} ms without (node -e '' alone: ${hs.nodeOnly.toFixed(0)} ms).\n`,
  );
  console.log(`| terraform command (median of ${ROUNDS}) | 1 API | 1,000 APIs |`);
  console.log('|---|---:|---:|');
  for (const row of Object.keys(results[1]))
    console.log(
      `| ${row} | ${(median(results[1][row]) / 1000).toFixed(2)} s | ${(median(results[1000][row]) / 1000).toFixed(2)} s |`,
    );
} finally {
  await gw.stop();
}
