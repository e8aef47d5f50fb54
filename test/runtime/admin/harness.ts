/**
 * A real gateway with its admin listener on 127.0.0.1 (both on port 0), an
 * admin client, function bundles and a capture of the event log.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import {
  bundleHash,
  toAppliedConfig,
  type AppliedConfig,
  type BundleUpload,
  type FunctionTarget,
  type GatewayConfig,
} from '../../../model';
import { Gateway } from '../../../runtime/gateway';

export const TOKEN = 'test-admin-token-0123456789';

export interface AdminGateway {
  readonly gateway: Gateway;
  /** Public listener. */
  readonly base: string;
  readonly port: number;
  /** Admin listener. */
  readonly adminBase: string;
  readonly adminPort: number;
  readonly dir: string;
  readonly file: string;
  /** Access-log text. */
  readonly accessLog: string[];
  close(): Promise<void>;
}

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly stateDir?: string;
  /** Folder of the config file (a fresh temp folder by default). */
  readonly dir?: string;
  readonly bundleKeepMs?: number;
}

/** The config with an admin listener on 127.0.0.1:0 whose token is $APIGW_ADMIN_TOKEN. */
export function withAdmin(config: GatewayConfig): GatewayConfig {
  return {
    ...config,
    service: { ...config.service, admin: { host: '127.0.0.1', port: 0, token: { env: 'APIGW_ADMIN_TOKEN' } } },
  };
}

/** Writes the start config (with the admin listener) and serves it. */
export async function startAdminGateway(config: GatewayConfig, options: StartOptions = {}): Promise<AdminGateway> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'apigw-admin-'));
  const file = join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify(withAdmin(config)));
  const accessLog: string[] = [];
  const gateway = await Gateway.fromFile(file, {
    env: { APIGW_ADMIN_TOKEN: TOKEN, ...options.env },
    accessLog: (t) => accessLog.push(t),
    stateDir: options.stateDir,
    bundleKeepMs: options.bundleKeepMs,
  });
  const addresses = await gateway.listen();
  const port = (addresses.http as AddressInfo).port;
  const adminPort = (addresses.admin as AddressInfo).port;
  return {
    gateway,
    base: `http://127.0.0.1:${port}`,
    port,
    adminBase: `http://127.0.0.1:${adminPort}`,
    adminPort,
    dir,
    file,
    accessLog,
    close: () => gateway.close(),
  };
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
  readonly body: any;
}

/** One admin request with the token (or the given Authorization), body as JSON. */
export async function admin(
  g: { readonly adminBase: string },
  method: 'GET' | 'PUT' | 'DELETE' | 'HEAD' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await request(`${g.adminBase}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** PUT /v1/config with the applied part of `config`. */
export function apply(
  g: { readonly adminBase: string },
  config: GatewayConfig | AppliedConfig,
  secrets: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<Answer> {
  const applied = 'listeners' in config.service ? toAppliedConfig(config as GatewayConfig) : (config as AppliedConfig);
  return admin(g, 'PUT', '/v1/config', { config: applied, secrets }, headers);
}

export interface Bundle {
  readonly sha256: string;
  readonly upload: BundleUpload;
}

/** A bundle of text files (path → content). */
export function bundle(files: Record<string, string>): Bundle {
  const list = Object.entries(files).map(([path, text]) => ({ path, data: Buffer.from(text) }));
  return {
    sha256: bundleHash(list),
    upload: { files: list.map((f) => ({ path: f.path, content: f.data.toString('base64') })) },
  };
}

export async function upload(g: { readonly adminBase: string }, b: Bundle): Promise<Answer> {
  return admin(g, 'PUT', `/v1/bundles/${b.sha256}`, b.upload);
}

/** A bundled function target whose code is the bundle `sha256`. */
export function bundledTarget(sha256: string, handler: string, extra: Partial<FunctionTarget> = {}): FunctionTarget {
  return {
    namespace: 'default',
    functionName: handler,
    version: '$LATEST',
    timeoutMs: 2000,
    source: { type: 'bundled', dir: 'functions/fn', handler: `index.${handler}`, memoryMb: 64, sha256 },
    ...extra,
  };
}

/** Captures the event log (stderr JSON lines) until `restore`. */
export function captureEvents(): {
  readonly events: Record<string, unknown>[];
  readonly text: () => string;
  restore(): void;
} {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  });
  return {
    get events() {
      return chunks
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => chunks.join(''),
    restore: () => spy.mockRestore(),
  };
}
