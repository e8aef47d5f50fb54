/**
 * The provider's RPCs (tfplugin6.Provider): one resource type,
 * `apigw_service`, applied live through a gateway's admin API. Each method
 * takes and returns the protobuf messages as plain objects; errors the user
 * can act on are diagnostics, never thrown.
 */
import { resolve } from 'node:path';
import type { ConfigState } from '../model';
import { AdminClient, GatewayUnreachable, adminError, type AdminResponse } from './admin-client';
import { bundleUpload, readBundleDir, type Bundle } from './bundle-dir';
import type { Describe } from './describe';
import { diagnosticMessage, error, warning, type Diagnostic } from './diagnostics';
import { decodeTfValue, encodeTfValue } from './msgpack';
import {
  applyRequestOf,
  appliedState,
  completeValue,
  issueDiagnostic,
  planService,
  SERVICE_TYPE,
  serviceShapes,
  ifMatchOf,
  stateFromGateway,
  stateFromJson,
  validateValue,
  type ServiceShapes,
} from './service-resource';
import type { ObjectShape } from './shape';
import { objectAttributes } from './tf-schema';
import { attr, isTfObject, isUnknown, type TfValue } from './tf-value';

export interface DynamicValue {
  readonly msgpack?: Uint8Array;
  readonly json?: Uint8Array;
}
type Message = Record<string, unknown>;

/** The provider block. */
const PROVIDER_SHAPE: ObjectShape = {
  kind: 'object',
  constants: {},
  fields: [
    {
      key: 'endpoint',
      name: 'endpoint',
      shape: { kind: 'string' },
      optional: true,
      nullable: false,
      computed: false,
      description:
        "The gateway's admin listener: `http://host:port`, or `ssh://[user@]host[:port]` to reach it on a remote host's loopback through OpenSSH (needs `admin_port`). Default: the APIGW_ENDPOINT environment variable.",
    },
    {
      key: 'token',
      name: 'token',
      shape: { kind: 'string' },
      optional: true,
      nullable: false,
      computed: false,
      sensitive: true,
      description: 'The admin token. Default: the APIGW_ADMIN_TOKEN environment variable.',
    },
    {
      key: 'timeout_seconds',
      name: 'timeout_seconds',
      shape: { kind: 'number' },
      optional: true,
      nullable: false,
      computed: false,
      description: 'How long one admin request may take. Default: 60.',
    },
    {
      key: 'admin_port',
      name: 'admin_port',
      shape: { kind: 'number' },
      optional: true,
      nullable: false,
      computed: false,
      description: "With an ssh:// endpoint: the admin listener's port on the remote host (reached on its 127.0.0.1).",
    },
    {
      key: 'ssh_opts',
      name: 'ssh_opts',
      shape: { kind: 'list', element: { kind: 'string' } },
      optional: true,
      nullable: false,
      computed: false,
      description: 'With an ssh:// endpoint: extra arguments for `ssh` (for example `["-i", "~/.ssh/deploy"]`).',
    },
  ],
};

const DEFAULT_TIMEOUT_SECONDS = 60;

export interface ProviderOptions {
  /** Attribute descriptions from the schema's TSDoc. */
  readonly describe?: Describe;
  /** Environment for the provider block's defaults. */
  readonly env?: NodeJS.ProcessEnv;
  /** Folder `dir` attributes are relative to. @default process.cwd() */
  readonly cwd?: string;
}

export class ApigwProvider {
  private readonly shapes: ServiceShapes;
  private readonly env: NodeJS.ProcessEnv;
  private readonly cwd: string;
  private settings: { endpoint?: string; token?: string; timeoutMs: number; adminPort?: number; sshOptions: string[] } =
    { timeoutMs: DEFAULT_TIMEOUT_SECONDS * 1000, sshOptions: [] };
  private client: AdminClient | undefined;
  private readonly bundles = new Map<string, Bundle>();

  constructor(options: ProviderOptions = {}) {
    this.shapes = serviceShapes(options.describe);
    this.env = options.env ?? process.env;
    this.cwd = options.cwd ?? process.cwd();
  }

  getMetadata(): Message {
    return {
      server_capabilities: { get_provider_schema_optional: true },
      diagnostics: [],
      resources: [{ type_name: SERVICE_TYPE }],
    };
  }

  getProviderSchema(): Message {
    return {
      provider: {
        version: 0,
        block: {
          version: 0,
          attributes: objectAttributes(PROVIDER_SHAPE),
          description: 'A cdktf-apigw gateway, reached through its admin API.',
        },
      },
      resource_schemas: {
        [SERVICE_TYPE]: {
          version: 0,
          block: {
            version: 0,
            attributes: objectAttributes(this.shapes.resource),
            description:
              'One gateway service and all its APIs, applied live and atomically to a running gateway through its admin API.',
          },
        },
      },
      diagnostics: [],
      server_capabilities: { get_provider_schema_optional: true },
    };
  }

  validateProviderConfig(req: { config?: DynamicValue }): Message {
    const config = decode(req.config);
    const diagnostics: Diagnostic[] = [];
    if (isTfObject(config)) {
      const endpoint = attr(config, 'endpoint');
      if (typeof endpoint === 'string' && !/^(http|ssh):\/\//.test(endpoint))
        diagnostics.push(error('endpoint must start with http:// or ssh://', undefined, [{ attr: 'endpoint' }]));
      const timeout = attr(config, 'timeout_seconds');
      if (typeof timeout === 'number' && !(timeout > 0))
        diagnostics.push(error('timeout_seconds must be more than 0', undefined, [{ attr: 'timeout_seconds' }]));
    }
    return { diagnostics: diagnostics.map(diagnosticMessage) };
  }

  configureProvider(req: { config?: DynamicValue }): Message {
    const config = decode(req.config);
    const get = (name: string): TfValue => (isTfObject(config) ? attr(config, name) : null);
    const text = (name: string, envName: string): string | undefined => {
      const v = get(name);
      return typeof v === 'string' ? v : isUnknown(v) ? undefined : this.env[envName] || undefined;
    };
    const timeout = get('timeout_seconds');
    const port = get('admin_port');
    const ssh = get('ssh_opts');
    this.settings = {
      endpoint: text('endpoint', 'APIGW_ENDPOINT'),
      token: text('token', 'APIGW_ADMIN_TOKEN'),
      timeoutMs: (typeof timeout === 'number' ? timeout : DEFAULT_TIMEOUT_SECONDS) * 1000,
      ...(typeof port === 'number' ? { adminPort: port } : {}),
      sshOptions: Array.isArray(ssh) ? ssh.filter((s): s is string => typeof s === 'string') : [],
    };
    this.client?.close();
    this.client = undefined;
    return { diagnostics: [] };
  }

  validateResourceConfig(req: { type_name?: string; config?: DynamicValue }): Message {
    const config = decode(req.config);
    if (req.type_name !== SERVICE_TYPE || !isTfObject(config)) return { diagnostics: [] };
    const diagnostics: Diagnostic[] = [];
    const completed = completeValue(this.shapes, config, diagnostics);
    diagnostics.push(...validateValue(this.shapes, completed));
    return { diagnostics: diagnostics.map(diagnosticMessage) };
  }

  upgradeResourceState(req: { raw_state?: { json?: Uint8Array } }): Message {
    const json = req.raw_state?.json;
    if (!json || json.length === 0) return { upgraded_state: { msgpack: encodeTfValue(null) }, diagnostics: [] };
    const state = stateFromJson(this.shapes, Buffer.from(json).toString('utf8'));
    return { upgraded_state: { msgpack: encodeTfValue(state) }, diagnostics: [] };
  }

  async readResource(req: { current_state?: DynamicValue; private?: Uint8Array }): Promise<Message> {
    const prior = decode(req.current_state);
    if (!isTfObject(prior)) return { new_state: { msgpack: encodeTfValue(null) }, diagnostics: [] };
    return this.guard(async () => {
      let state: ConfigState;
      try {
        state = await this.fetchState();
      } catch (err) {
        if (!(err instanceof GatewayUnreachable)) throw err;
        // Nothing answers (the container was removed outside Terraform, say): the service is gone, so the
        // plan applies it again once the gateway is back, instead of failing every refresh until `state rm`.
        return {
          new_state: { msgpack: encodeTfValue(null) },
          diagnostics: [diagnosticMessage(warning(`${err.message}; the service will be applied again`))],
        };
      }
      const value = stateFromGateway(this.shapes, state, prior, this.settings.token ?? '');
      return {
        new_state: { msgpack: encodeTfValue(value) },
        diagnostics: [],
        private: req.private ?? new Uint8Array(),
      };
    });
  }

  planResourceChange(req: {
    prior_state?: DynamicValue;
    proposed_new_state?: DynamicValue;
    config?: DynamicValue;
    prior_private?: Uint8Array;
  }): Message {
    const proposed = decode(req.proposed_new_state);
    const config = decode(req.config);
    if (!isTfObject(proposed) || !isTfObject(config))
      return { planned_state: { msgpack: encodeTfValue(null) }, requires_replace: [], diagnostics: [] };
    const prior = decode(req.prior_state);
    const { planned, diagnostics } = planService(this.shapes, {
      config,
      prior: isTfObject(prior) ? prior : null,
      readBundle: (dir) => this.readBundle(dir),
    });
    return {
      planned_state: { msgpack: encodeTfValue(planned) },
      requires_replace: [],
      planned_private: req.prior_private ?? new Uint8Array(),
      diagnostics: diagnostics.map(diagnosticMessage),
    };
  }

  async applyResourceChange(req: {
    prior_state?: DynamicValue;
    planned_state?: DynamicValue;
    planned_private?: Uint8Array;
  }): Promise<Message> {
    const prior = decode(req.prior_state);
    const planned = decode(req.planned_state);
    const priorEtag = isTfObject(prior) ? attr(prior, 'etag') : null;
    return this.guard(async () => {
      const client = this.adminClient();
      if (!isTfObject(planned)) {
        const res = await client.deleteConfig(typeof priorEtag === 'string' ? ifMatchOf(priorEtag) : undefined);
        if (res.status !== 200)
          return { new_state: { msgpack: encodeTfValue(prior) }, diagnostics: this.refused(res, planned, 'delete') };
        return { new_state: { msgpack: encodeTfValue(null) }, diagnostics: [] };
      }
      const { request, bundles } = applyRequestOf(this.shapes, planned);
      for (const ref of bundles) {
        if (await client.hasBundle(ref.sha256)) continue;
        const bundle = readBundleDir(resolve(this.cwd, ref.dir));
        if (bundle.sha256 !== ref.sha256)
          return {
            diagnostics: [
              diagnosticMessage(
                error(
                  `the function code in ${ref.dir} changed since the plan`,
                  `Planned ${ref.sha256}, the folder now hashes to ${bundle.sha256}. Run plan again.`,
                  [...ref.path, { attr: 'dir' }],
                ),
              ),
            ],
          };
        const res = await client.putBundle(ref.sha256, bundleUpload(bundle));
        if (res.status !== 200) return { diagnostics: this.refused(res, planned, 'upload function code') };
      }
      const res = await client.putConfig(request, typeof priorEtag === 'string' ? ifMatchOf(priorEtag) : undefined);
      if (res.status !== 200) return { diagnostics: this.refused(res, request.config, 'apply') };
      const result = res.body as { etag: string; generation: number };
      return { new_state: { msgpack: encodeTfValue(appliedState(planned, result)) }, diagnostics: [] };
    });
  }

  async importResourceState(req: { type_name?: string; id?: string }): Promise<Message> {
    return this.guard(async () => {
      const state = await this.fetchState();
      const name = state.config.service.name;
      if (name !== req.id)
        return {
          diagnostics: [
            diagnosticMessage(
              error(`the gateway at ${this.adminClient().where} serves service "${name}", not "${req.id}"`),
            ),
          ],
        };
      const value = stateFromGateway(this.shapes, state, null, this.settings.token ?? '');
      return {
        imported_resources: [
          { type_name: SERVICE_TYPE, state: { msgpack: encodeTfValue(value) }, private: new Uint8Array() },
        ],
        diagnostics: [],
      };
    });
  }

  getFunctions(): Message {
    return { diagnostics: [] };
  }

  private readBundle(dir: string): Bundle {
    const full = resolve(this.cwd, dir);
    let bundle = this.bundles.get(full);
    if (!bundle) {
      bundle = readBundleDir(full);
      this.bundles.set(full, bundle);
    }
    return bundle;
  }

  private adminClient(): AdminClient {
    if (this.client) return this.client;
    const { endpoint, token } = this.settings;
    if (!endpoint) throw new UserError('no gateway endpoint: set endpoint in the provider block or APIGW_ENDPOINT');
    if (!token) throw new UserError('no admin token: set token in the provider block or APIGW_ADMIN_TOKEN');
    try {
      this.client = new AdminClient({
        endpoint,
        token,
        timeoutMs: this.settings.timeoutMs,
        ...(this.settings.adminPort !== undefined ? { adminPort: this.settings.adminPort } : {}),
        sshOptions: this.settings.sshOptions,
      });
    } catch (err) {
      throw new UserError((err as Error).message);
    }
    return this.client;
  }

  private async fetchState(): Promise<ConfigState> {
    const client = this.adminClient();
    const res = await client.getConfig();
    if (res.status !== 200) throw new UserError(describeRefusal(res, client.where, 'read the config'));
    return res.body as ConfigState;
  }

  /** An admin API refusal as diagnostics: field-level issues at their attributes. */
  private refused(res: AdminResponse<unknown>, doc: unknown, action: string): object[] {
    const err = adminError(res);
    if (res.status === 409 || err.code === 'ConfigConflict')
      return [
        diagnosticMessage(
          error(
            "the gateway's config changed since this plan",
            `Someone applied or deleted a config (the gateway's ETag is now ${err.etag ?? 'different'}); nothing was changed. Run plan again to see the gateway as it is.`,
          ),
        ),
      ];
    if (err.issues && err.issues.length > 0)
      return err.issues.map((i) =>
        diagnosticMessage(
          issueDiagnostic(this.shapes, doc, { field: i.field.replace(/^\/config(?=\/|$)/, ''), message: i.message }),
        ),
      );
    return [diagnosticMessage(error(describeRefusal(res, this.adminClient().where, action)))];
  }

  /** Runs an RPC body; a UserError or a network failure becomes an error diagnostic. */
  private async guard(body: () => Promise<Message>): Promise<Message> {
    try {
      return await body();
    } catch (err) {
      return { diagnostics: [diagnosticMessage(error((err as Error).message))] };
    }
  }
}

class UserError extends Error {}

function describeRefusal(res: AdminResponse<unknown>, where: string, action: string): string {
  if (res.status === 401) return `the gateway at ${where} refused the admin token (401)`;
  const err = adminError(res);
  return `the gateway at ${where} refused to ${action}: ${err.code}: ${err.message}`;
}

function decode(v: DynamicValue | undefined | null): TfValue {
  if (!v) return null;
  if (v.msgpack && v.msgpack.length > 0) return decodeTfValue(v.msgpack);
  if (v.json && v.json.length > 0) return JSON.parse(Buffer.from(v.json).toString('utf8')) as TfValue;
  return null;
}
