/**
 * The provider under real terraform (offline, plain HCL) against a gateway
 * process with its admin listener: init → plan → apply → "No changes" → a
 * one-field change to one API (plan text asserted) → apply → a change made
 * outside Terraform shown by the next plan → import into a fresh state →
 * destroy.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import type { ConfigState } from '../../model';
import { vendorProvider } from '../../provider/vendor';
import { gatewayConfig } from '../helpers/config';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process';
import { describeWithTerraform, terraform, terraformEnv, terraformOk } from '../helpers/terraform';
import { tempDir } from '../helpers/temp';

const TOKEN = 'e2e-admin-token-0123456789abcdef';
const SECRET = 'pet-store-s3cret-value';
const BUNDLE_DIR = join(__dirname, '..', '..', 'dist', 'provider-bundle');

function mainTf(timeoutMs: number, extraKeyPair = ''): string {
  return `
terraform {
  required_providers {
    apigw = { source = "cdktf-apigw.dev/cdktf-apigw/apigw" }
  }
}

variable "endpoint" { type = string }
variable "token" {
  type      = string
  sensitive = true
}
variable "pet_secret" {
  type      = string
  sensitive = true
}

provider "apigw" {
  endpoint = var.endpoint
  token    = var.token
}

resource "apigw_service" "pets" {
  service = {
    name = "pets"
    id   = "service-pets"
    key_pairs = [{ secret_id = "AKID1", secret_key = { env = "PET_SECRET" } }${extraKeyPair}]
    usage_plans = [{ name = "partners", key_pairs = ["AKID1"], apis = ["signed"] }]
  }
  apis = {
    getPet = {
      frontend   = { raw_path = "/pets/{id}" }
      parameters = [{ name = "id", in = "path", type = "int", required = true }]
      backend = {
        type = "http"
        http = { origin = "http://127.0.0.1:9", method = "GET", path = "/pets/{id}", timeout_ms = ${timeoutMs} }
      }
    }
    hello = {
      frontend = { raw_path = "=/hello" }
      backend  = { type = "mock", mock = { body = "hi $\${not.a.template}" } }
    }
    signed = {
      frontend = { raw_path = "=/signed" }
      auth     = { type = "keyPair" }
      backend  = { type = "mock", mock = { status_code = 201 } }
    }
    fn = {
      frontend = { raw_path = "=/fn" }
      backend = {
        type = "scf"
        scf = {
          function = {
            function_name = "hello"
            source = { type = "bundled", bundled = { dir = "functions/hello", handler = "index.hello" } }
          }
        }
      }
    }
  }
  secrets = { PET_SECRET = var.pet_secret }
}
`;
}

async function get(base: string, path: string): Promise<{ status: number; text: string }> {
  const res = await request(`${base}${path}`);
  return { status: res.statusCode, text: await res.body.text() };
}

async function adminJson<T>(gw: GatewayProcess, method: 'GET' | 'PUT', path: string, body?: unknown): Promise<T> {
  const res = await request(`${gw.adminEndpoint}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
  return JSON.parse(text) as T;
}

/** The lines of a plan between "Terraform will perform" and "Plan:". */
function changeBlock(stdout: string): string {
  const start = stdout.indexOf('Terraform will perform the following actions:');
  const end = stdout.indexOf('Plan:', start);
  return stdout.slice(start, end + stdout.slice(end).indexOf('\n')).trim();
}

describeWithTerraform('the apigw provider under terraform, against a live gateway', () => {
  let gw: GatewayProcess;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const timings: Record<string, number> = {};
  const vars = (): string[] => [
    `-var=endpoint=${gw.adminEndpoint}`,
    `-var=token=${TOKEN}`,
    `-var=pet_secret=${SECRET}`,
  ];

  beforeAll(async () => {
    gw = await startGatewayProcess(gatewayConfig([], { name: 'pets', id: 'service-pets' }), TOKEN);
    dir = tempDir('apigw-tf-e2e-');
    vendorProvider(dir, { bundleDir: BUNDLE_DIR });
    mkdirSync(join(dir, 'functions', 'hello'), { recursive: true });
    writeFileSync(join(dir, 'functions', 'hello', 'index.js'), 'exports.hello = async () => ({ hello: "fn" });\n');
    writeFileSync(join(dir, 'main.tf'), mainTf(5000));
    env = terraformEnv();
  });

  afterAll(async () => {
    await gw?.stop();
    console.log(`terraform timings (ms): ${JSON.stringify(timings)}`);
  });

  it('initialises offline from the vendored mirror and the written lock file', async () => {
    const r = await terraformOk(dir, ['init', '-input=false', '-no-color'], env);
    timings.init = r.ms;
    expect(r.stdout).toMatch(/Installed cdktf-apigw\.dev\/cdktf-apigw\/apigw v\S+ \(unauthenticated\)/);
    expect(r.stdout).toContain('Terraform has been successfully initialized!');
  });

  it('plans the service as one resource, secrets hidden, defaults and computed values filled', async () => {
    const r = await terraform(dir, ['plan', '-input=false', '-no-color', '-detailed-exitcode', ...vars()], env);
    timings.planCreate = r.ms;
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('# apigw_service.pets will be created');
    expect(r.stdout).toContain('+ secrets    = (sensitive value)');
    expect(r.stdout).toMatch(/\+ match\s+= "param"/);
    expect(r.stdout).toMatch(/\+ sha256\s+= "[0-9a-f]{64}"/);
    expect(r.stdout).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('applies: the gateway serves the APIs, the function code and the literal ${...} text', async () => {
    const r = await terraformOk(dir, ['apply', '-input=false', '-no-color', '-auto-approve', ...vars()], env);
    timings.apply = r.ms;
    expect(r.stdout).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    expect(await get(gw.base, '/hello')).toEqual({ status: 200, text: 'hi ${not.a.template}' });
    expect(await get(gw.base, '/fn')).toEqual({ status: 200, text: '{"hello":"fn"}' });
    expect((await get(gw.base, '/signed')).status).toBe(401);
    const state = await adminJson<ConfigState>(gw, 'GET', '/v1/config');
    expect(state.source).toBe('applied');
    expect(state.config.apis.map((a) => a.name)).toEqual(['fn', 'getPet', 'hello', 'signed']);
    expect(Object.keys(state.secretDigests)).toEqual(['PET_SECRET']);
  });

  it('plans "No changes" right after the apply', async () => {
    const r = await terraform(dir, ['plan', '-input=false', '-no-color', '-detailed-exitcode', ...vars()], env);
    timings.planNoChanges = r.ms;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No changes. Your infrastructure matches the configuration.');
  });

  it('plans a one-field change to one API as an in-place update showing that API and field only', async () => {
    writeFileSync(join(dir, 'main.tf'), mainTf(6000));
    const r = await terraform(dir, ['plan', '-input=false', '-no-color', '-detailed-exitcode', ...vars()], env);
    timings.planOneField = r.ms;
    expect(r.code).toBe(2);
    const block = changeBlock(r.stdout);
    console.log(`one-field change plan:\n${block}`);
    expect(block).toContain('# apigw_service.pets will be updated in-place');
    expect(block).toContain('~ "getPet" = {');
    expect(block).toMatch(/~ timeout_ms\s+= 5000 -> 6000/);
    expect(block).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
    // Every changed line: the path to the field, the field, and the computed etag/generation.
    const changed = block
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('~ ') || l.startsWith('+ ') || l.startsWith('- '));
    expect(changed).toEqual([
      '~ resource "apigw_service" "pets" {',
      '~ apis       = {',
      '~ "getPet" = {',
      '~ backend    = {',
      '~ http = {',
      '~ timeout_ms         = 5000 -> 6000',
      expect.stringMatching(/^~ etag\s+= "[0-9a-f]+" -> \(known after apply\)$/),
      expect.stringMatching(/^~ generation = \d+ -> \(known after apply\)$/),
    ]);
    for (const other of ['"hello"', '"fn"', '"signed"']) expect(block).not.toContain(other);
    expect(block).not.toContain('secrets');
  });

  it('applies the change live', async () => {
    const r = await terraformOk(dir, ['apply', '-input=false', '-no-color', '-auto-approve', ...vars()], env);
    timings.applyOneField = r.ms;
    expect(r.stdout).toContain('Apply complete! Resources: 0 added, 1 changed, 0 destroyed.');
    const state = await adminJson<ConfigState>(gw, 'GET', '/v1/config');
    const getPet = state.config.apis.find((a) => a.name === 'getPet');
    expect(getPet?.backend).toMatchObject({ type: 'http', timeoutMs: 6000 });
  });

  it('plans a function code change as a new sha256 and applies it by uploading the code', async () => {
    writeFileSync(join(dir, 'functions', 'hello', 'index.js'), 'exports.hello = async () => ({ hello: "fn v2" });\n');
    const r = await terraform(dir, ['plan', '-input=false', '-no-color', '-detailed-exitcode', ...vars()], env);
    expect(r.code).toBe(2);
    const block = changeBlock(r.stdout);
    expect(block).toMatch(/~ sha256\s+= "[0-9a-f]{64}" -> "[0-9a-f]{64}"/);
    expect(block).toContain('~ "fn"');
    await terraformOk(dir, ['apply', '-input=false', '-no-color', '-auto-approve', ...vars()], env);
    expect(await get(gw.base, '/fn')).toEqual({ status: 200, text: '{"hello":"fn v2"}' });
  });

  it('fails an apply the gateway refuses with its field-level error, and the old config keeps serving', async () => {
    const before = await adminJson<ConfigState>(gw, 'GET', '/v1/config');
    writeFileSync(
      join(dir, 'main.tf'),
      mainTf(6000, ', { secret_id = "AKID2", secret_key = { env = "NOT_PROVIDED" } }'),
    );
    const r = await terraform(dir, ['apply', '-input=false', '-no-color', '-auto-approve', ...vars()], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: service.key_pairs[1].secret_key:');
    expect(r.stderr).toContain('NOT_PROVIDED');
    const after = await adminJson<ConfigState>(gw, 'GET', '/v1/config');
    expect(after.generation).toBe(before.generation);
    expect(await get(gw.base, '/hello')).toEqual({ status: 200, text: 'hi ${not.a.template}' });
    writeFileSync(join(dir, 'main.tf'), mainTf(6000));
  });

  it('refuses to apply a saved plan after the gateway changed (409): run plan again', async () => {
    writeFileSync(join(dir, 'main.tf'), mainTf(7000));
    await terraformOk(dir, ['plan', '-input=false', '-no-color', '-out=tfplan', ...vars()], env);
    await changeHelloOutsideTerraform();
    const r = await terraform(dir, ['apply', '-input=false', '-no-color', 'tfplan'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the gateway's config changed since this plan");
    expect(r.stderr).toContain('Run plan again');
    const state = await adminJson<ConfigState>(gw, 'GET', '/v1/config');
    expect(state.config.apis.find((a) => a.name === 'getPet')?.backend).toMatchObject({ timeoutMs: 6000 });
    writeFileSync(join(dir, 'main.tf'), mainTf(6000));
  });

  /** A PUT through the admin API, as someone else would: the mock body of "hello" changes. */
  async function changeHelloOutsideTerraform(): Promise<void> {
    const state = await adminJson<ConfigState>(gw, 'GET', '/v1/config');
    const config = structuredClone(state.config);
    const hello = config.apis.find((a) => a.name === 'hello')!;
    if (hello.backend.type === 'mock') hello.backend.body = 'changed outside';
    await adminJson(gw, 'PUT', '/v1/config', { config, secrets: { PET_SECRET: SECRET } });
    expect(await get(gw.base, '/hello')).toEqual({ status: 200, text: 'changed outside' });
  }

  it('shows a change made outside Terraform in the next plan', async () => {
    const r = await terraform(dir, ['plan', '-input=false', '-no-color', '-detailed-exitcode', ...vars()], env);
    expect(r.code).toBe(2);
    const block = changeBlock(r.stdout);
    expect(block).toMatch(/~ "hello" += \{/);
    expect(block).toMatch(/~ body\s+= "changed outside" -> "hi \$\{not\.a\.template\}"/);
    expect(block).not.toContain('"getPet"');
  });

  let fresh: string;

  it('imports the running service into a fresh state', async () => {
    fresh = tempDir('apigw-tf-import-');
    vendorProvider(fresh, { bundleDir: BUNDLE_DIR });
    cpSync(join(dir, 'main.tf'), join(fresh, 'main.tf'));
    cpSync(join(dir, 'functions'), join(fresh, 'functions'), { recursive: true });
    await terraformOk(fresh, ['init', '-input=false', '-no-color'], env);
    const wrong = await terraform(
      fresh,
      ['import', '-input=false', '-no-color', ...vars(), 'apigw_service.pets', 'cats'],
      env,
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('serves service "pets", not "cats"');
    const r = await terraformOk(
      fresh,
      ['import', '-input=false', '-no-color', ...vars(), 'apigw_service.pets', 'pets'],
      env,
    );
    timings.import = r.ms;
    expect(r.stdout).toContain('Import successful!');
    const plan = await terraform(fresh, ['plan', '-input=false', '-no-color', '-detailed-exitcode', ...vars()], env);
    const block = changeBlock(plan.stdout);
    // The imported state holds what the gateway serves: the outside change, and secrets it cannot read back.
    expect(block).toMatch(/~ body\s+= "changed outside" -> "hi \$\{not\.a\.template\}"/);
    expect(block).toContain('~ secrets    = (sensitive value)');
    expect(block).not.toContain('"getPet"');
  });

  it('destroys: the gateway goes back to the config it was started with', async () => {
    const r = await terraformOk(dir, ['destroy', '-input=false', '-no-color', '-auto-approve', ...vars()], env);
    timings.destroy = r.ms;
    expect(r.stdout).toContain('Destroy complete! Resources: 1 destroyed.');
    const state = await adminJson<ConfigState>(gw, 'GET', '/v1/config');
    expect(state.source).toBe('started');
    expect(state.config.apis).toEqual([]);
    expect((await get(gw.base, '/hello')).status).toBe(404);
  });

  it('plans the service again when the gateway is back on its start config (state lost or deleted)', async () => {
    // The import's state still holds the service; the destroy above put the gateway back on its start config.
    const r = await terraform(fresh, ['plan', '-input=false', '-no-color', '-detailed-exitcode', ...vars()], env);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('# apigw_service.pets will be created');
    expect(r.stdout).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
  });

  it('plans the service again, with a warning, when no gateway answers (a container removed outside Terraform)', async () => {
    await gw.stop();
    const r = await terraform(fresh, ['plan', '-input=false', '-no-color', '-detailed-exitcode', ...vars()], env);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('# apigw_service.pets will be created');
    expect(`${r.stdout}${r.stderr}`).toMatch(/Warning: cannot reach the gateway's admin API at .*ECONNREFUSED/);
  });
});
