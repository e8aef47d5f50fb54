/**
 * One service's gateway for `apigw dev`: a gateway in this process, on
 * 127.0.0.1, started the way a live target starts one (its start config: the
 * HTTP listener, the health path, an admin listener on 127.0.0.1 with a random
 * token, no APIs), to which every config is applied through the admin API
 * exactly as `cdktf deploy` applies it: function bundles the gateway lacks are
 * uploaded by sha256 (`HEAD`/`PUT /v1/bundles/<sha256>`), then one
 * `PUT /v1/config` with `If-Match`. So open connections stay open, and a
 * config the gateway refuses changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  toAppliedConfig,
  validateConfig,
  formatIssues,
  type AdminError,
  type AppliedConfig,
  type ApplyResult,
  type GatewayConfig,
} from '../model';
import { AdminClient, adminError } from '../provider/admin-client';
import { bundleUpload, readBundleDir } from '../provider/bundle-dir';
import { mapBundledSources, startConfigOf } from '../lib/live-config';
import type { EventLog, LogSink } from '../runtime/access-log';
import { Gateway } from '../runtime/gateway';
import type { SynthesizedService } from './synth';

/** The environment variable the dev gateway's start config reads its admin token from (set only in its own env). */
const TOKEN_ENV = 'APIGW_DEV_ADMIN_TOKEN';

export interface LocalGatewayOptions {
  readonly port: number;
  readonly events: EventLog;
  /** Access-log sink; null for none. */
  readonly accessLog: LogSink | null;
}

/** What an apply did: served (with its generation), or refused with the lines to print. */
export type ApplyOutcome =
  | { readonly ok: true; readonly generation: number; readonly ms: number }
  | { readonly ok: false; readonly problems: readonly string[] };

export class LocalGateway {
  private etag: string | undefined;

  private constructor(
    private readonly gateway: Gateway,
    private readonly client: AdminClient,
    /** The served start-bound fields, to tell whether a new config needs a restart. */
    readonly startKey: string,
    /** `http://127.0.0.1:<port>` */
    readonly url: string,
  ) {}

  /** Starts the gateway of `service` with its start config (no APIs yet). */
  static async start(service: SynthesizedService, options: LocalGatewayOptions): Promise<LocalGateway> {
    const token = randomBytes(24).toString('hex');
    const start = devStartConfig(service.config, options.port);
    const checked = validateConfig(start);
    if (!checked.ok)
      throw new Error(`the start config of ${service.name} is invalid:\n${formatIssues(checked.issues)}`);
    const gateway = Gateway.fromConfig(
      { config: checked.config, file: `apigw dev: ${service.name}`, baseDir: service.dir },
      { env: { ...process.env, [TOKEN_ENV]: token }, events: options.events, accessLog: options.accessLog },
    );
    let addresses: Awaited<ReturnType<Gateway['listen']>>;
    try {
      addresses = await gateway.listen();
    } catch (err) {
      await gateway.close();
      throw new Error(`cannot listen on 127.0.0.1:${options.port}: ${(err as Error).message}`);
    }
    const admin = addresses.admin as NonNullable<typeof addresses.admin>;
    const client = new AdminClient({ endpoint: `http://127.0.0.1:${admin.port}`, token, timeoutMs: 60_000 });
    const http = addresses.http as NonNullable<typeof addresses.http>;
    return new LocalGateway(gateway, client, startKeyOf(service.config), `http://127.0.0.1:${http.port}`);
  }

  /** Applies the service's config with `secrets`, as a deploy does. */
  async apply(service: SynthesizedService, secrets: Record<string, string>): Promise<ApplyOutcome> {
    const started = Date.now();
    let applied: AppliedConfig;
    const bundles = new Map<string, string>();
    try {
      applied = mapBundledSources(toAppliedConfig(service.config), (targetDir, dir) => {
        const codeDir = codeDirOf(service, targetDir, dir);
        const bundle = readBundleDir(codeDir);
        bundles.set(bundle.sha256, codeDir);
        return { dir: codeDir, sha256: bundle.sha256 };
      });
      for (const [sha256, dir] of bundles) {
        if (await this.client.hasBundle(sha256)) continue;
        const res = await this.client.putBundle(sha256, bundleUpload(readBundleDir(dir)));
        if (res.status !== 200) return { ok: false, problems: refusal(adminError(res)) };
      }
    } catch (err) {
      return { ok: false, problems: [(err as Error).message] };
    }
    const res = await this.client.putConfig({ config: applied, secrets }, this.etag);
    if (res.status !== 200) return { ok: false, problems: refusal(adminError(res)) };
    const result = res.body as ApplyResult;
    this.etag = result.etag;
    return { ok: true, generation: result.generation, ms: Date.now() - started };
  }

  /** Stops the gateway: in-flight requests get the grace period, WebSocket connections close with 1001. */
  async close(): Promise<void> {
    this.client.close();
    await this.gateway.close();
  }
}

/** The config a dev gateway starts with: the service's start config, on 127.0.0.1:`port`, HTTP only. */
export function devStartConfig(config: GatewayConfig, port: number): GatewayConfig {
  const start = startConfigOf(config, { host: '127.0.0.1', port: 0, token: { env: TOKEN_ENV } });
  // Plain HTTP on loopback: certificates of a deployment are not on a laptop, and no redirect to a missing HTTPS.
  return {
    ...start,
    service: { ...start.service, listeners: { http: { port, host: '127.0.0.1', redirectToHttps: false } } },
  };
}

/** The port a service is served on by default: its HTTP port, else its HTTPS port, else 8080. */
export function defaultPort(config: GatewayConfig): number {
  const { http, https } = config.service.listeners;
  return http?.port ?? https?.port ?? 8080;
}

/** What a running dev gateway cannot change without a restart. */
export function startKeyOf(config: GatewayConfig): string {
  return JSON.stringify([defaultPort(config), config.service.healthPath]);
}

/**
 * Where synth put a bundled function's code: a live target stages it at
 * `apigw/<service>/functions/...` in the stack's folder; a baked target has it
 * in its image build context (`assets/.../functions/...`, next to the
 * context's `config/gateway.json` of the same service).
 */
function codeDirOf(service: SynthesizedService, targetDir: string, dir: string): string {
  const staged = resolve(service.dir, service.name, targetDir);
  if (readable(staged)) return staged;
  for (const context of buildContexts(service)) {
    const candidate = resolve(context, targetDir);
    if (readable(candidate)) return candidate;
  }
  throw new Error(`${service.name}: the code of ${dir} is not in the synth output`);
}

function readable(dir: string): boolean {
  return statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true;
}

/** Build contexts in the stack's assets whose config is this service's. */
function buildContexts(service: SynthesizedService): string[] {
  const assets = resolve(service.stackDir, 'assets');
  if (!existsSync(assets)) return [];
  const out: string[] = [];
  for (const id of readdirSync(assets)) {
    for (const hash of readdirSync(resolve(assets, id))) {
      const context = resolve(assets, id, hash);
      try {
        const doc = JSON.parse(readFileSync(resolve(context, 'config', 'gateway.json'), 'utf8')) as GatewayConfig;
        if (doc.service?.name === service.name) out.push(context);
      } catch {
        // not a build context
      }
    }
  }
  return out;
}

/** The lines of an admin refusal: its message, then each field with its message. */
function refusal(error: AdminError): string[] {
  return [`${error.code}: ${error.message}`, ...(error.issues ?? []).map((i) => `  ${i.field}: ${i.message}`)];
}
