/**
 * A gateway service: its listeners, stage, key pairs and usage plans, and its
 * APIs. At synth it produces one validated gateway config and the resources
 * of its deployment target: by default a Docker image holding the start
 * config, a state volume, the container, and the `apigw_service` resource
 * that applies the rest live.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { App, Aspects, TerraformAsset, AssetType, TerraformStack, type IAspect } from 'cdktf';
import { addCustomSynthesis } from 'cdktf/lib/synthesize/synthesizer';
import type { ISynthesisSession } from 'cdktf/lib/synthesize/types';
import { Construct, type IConstruct } from 'constructs';
import {
  canonicalJson,
  DEFAULT_LIMITS,
  toAppliedConfig,
  validateConfig,
  type AdminListenerConfig,
  type ConfigIssue,
  type GatewayConfig,
  type LimitsConfig,
  type SecretRef,
} from '../model';
import { Api, type ApiOptions } from './api';
import { registerApiHost, type ApiFindings } from './api-findings';
import { checkService, Problems, type PropProblem } from './checks';
import type { FunctionBundle } from './backends/backend';
import { stageBuildContext, type BuildContext } from './build-context';
import { DockerContainerTarget } from './deploy/docker-container';
import {
  BakedDeploymentTarget,
  LiveDeploymentTarget,
  type DeploymentTarget,
  type GatewayArtifact,
  type GatewayImageContext,
  type GatewayPort,
  type GatewayRuntime,
  type LiveGatewayArtifact,
  type SecretEnv,
  type SecretUse,
} from './deploy/target';
import { stackWorkingDirectory } from './live/apigw-provider';
import { terraformName } from './live/live-service';
import { Messages, propOfField } from './messages';
import type { Secret } from './secret';
import { registerHostClaims } from './stack-checks';
import { mapBundledSources, startConfigOf } from './live-config';
import { readCodeBundle, stagedCodeDir, writeServiceFiles, type CodeBundle } from './stack-files';
import { apiDefaultsConfig, type ApiDefaultsOptions } from './traffic-policies';

/** A TLS certificate the HTTPS listener serves, chosen by server name (SNI). */
export interface CertificateOptions {
  /** Server names, `*.example.com` wildcards allowed. */
  readonly domains: string[];
  /** The certificate chain (PEM). */
  readonly cert: Secret;
  /** The private key (PEM). */
  readonly key: Secret;
}

/** The HTTPS listener. */
export interface HttpsOptions {
  /** Port inside the container. @default 8443 */
  readonly port?: number;
  /** Certificates by server name. */
  readonly certificates: CertificateOptions[];
  /** Domain whose certificate answers unknown server names. @default - unknown names are refused */
  readonly defaultDomain?: string;
  /** Lowest TLS version. @default 'TLSv1.2' */
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** A key pair for key-pair authentication. */
export interface KeyPairOptions {
  /** The public key id clients send. */
  readonly secretId: string;
  /** The signing secret. */
  readonly secretKey: Secret;
}

/** A usage plan: which key pairs may call which APIs, and how much. */
export interface UsagePlanOptions {
  /** Plan name. */
  readonly name: string;
  /** Key pair ids bound to the plan. */
  readonly keyPairs: string[];
  /** APIs (names or constructs) the plan covers. @default - every API of the service */
  readonly apis?: (string | Api)[];
  /** Requests per second per key pair, per gateway instance (429 beyond it). @default - unlimited */
  readonly rateLimitPerSecond?: number;
  /** Total requests per key pair, per gateway instance. @default - unlimited */
  readonly quota?: number;
}

/**
 * Request limits and timeouts of a service (README "Security", "Limited").
 * Every field is optional; the defaults are those of the gateway config's
 * `limits` (`DEFAULT_LIMITS` in the model).
 */
export interface LimitsOptions {
  /** Largest request body, in bytes; 413 `PayloadTooLarge` beyond it. @default 10485760 (10 MiB) */
  readonly maxBodyBytes?: number;
  /** Largest request head (request line and headers), in bytes, 1 KiB to 1 MiB; 431 beyond it. @default 16384 (16 KiB) */
  readonly maxHeaderBytes?: number;
  /** Longest request target (path and query), in characters, 16 to 65,536; 414 beyond it. @default 2048 */
  readonly maxPathLength?: number;
  /** Time a client has to send the request headers, in milliseconds (at least 100); 408 after it. @default 10000 */
  readonly headersTimeoutMs?: number;
  /** Time a client has to send the whole request, body included, in milliseconds; 0 turns it off. @default 120000 */
  readonly requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open, in milliseconds (at least 100). @default 5000 */
  readonly keepAliveTimeoutMs?: number;
  /**
   * Trust client-supplied `X-Forwarded-*`, `X-Real-IP` and `Forwarded` headers: only behind a proxy you run.
   * The client address (IP lists, the access log's `clientIp`, a function's `sourceIp`) is then the last
   * `X-Forwarded-For` address, the one that proxy appended; the gateway appends the TCP peer for the backend.
   * @default false
   */
  readonly trustForwardedHeaders?: boolean;
  /** How long a stopping gateway lets requests in flight finish, in milliseconds. @default 10000 */
  readonly shutdownGraceMs?: number;
  /** Request header names with `_`: dropped before any backend (`drop`), or refused with 400 (`reject`). @default 'drop' */
  readonly headersWithUnderscores?: 'drop' | 'reject';
  /** Open client connections, HTTP and HTTPS together (at least 1). @default 10000 */
  readonly maxConnections?: number;
  /** Time a client has to finish the TLS handshake, in milliseconds (at least 100). @default 10000 */
  readonly tlsHandshakeTimeoutMs?: number;
  /** `%2F`, `%5C` or `\` in a path: 400 (`reject`) or 307 to the unescaped path (`redirect`). @default 'reject' */
  readonly escapedSlashes?: 'reject' | 'redirect';
}

/** The props and the config's limits name the same fields with the same types: a new limit cannot be missed here. */
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const limitsMatchConfig: SameKeys<Required<LimitsOptions>, LimitsConfig> &
  (LimitsOptions extends Partial<LimitsConfig> ? true : false) = true;
void limitsMatchConfig;

/** Props of {@link Service}. */
export interface ServiceProps {
  /** Service name (also the default container name). @default - the construct id */
  readonly serviceName?: string;
  /** What the service is for. @default - none */
  readonly description?: string;
  /** HTTP port inside the container; `false` for HTTPS only. @default 8080 */
  readonly httpPort?: number | false;
  /**
   * Redirect HTTP to HTTPS (needs `https`). The `Location` names the HTTPS port clients reach: the one the
   * deployment target publishes (for example `DockerContainerTarget`'s `publishPorts.https`).
   * @default false
   */
  readonly redirectHttpToHttps?: boolean;
  /**
   * Address the listeners bind inside the container. The default serves whatever the container's network
   * lets in; `127.0.0.1` makes the gateway reachable only from the container itself (or the host, with
   * `hostNetwork`).
   * @default '0.0.0.0'
   */
  readonly listenerHost?: string;
  /** The HTTPS listener. @default - no HTTPS */
  readonly https?: HttpsOptions;
  /** Stage name. @default 'release' */
  readonly stageName?: string;
  /** Stage variables, passed to functions in their event. @default - none */
  readonly stageVariables?: Record<string, string>;
  /** Path the gateway answers health checks on. @default '/__apigw/health' */
  readonly healthPath?: string;
  /** Path of Prometheus metrics. @default - metrics are not served (or `/metrics` on `metricsListener`) */
  readonly metricsPath?: string;
  /**
   * Serve metrics on a listener of their own, never on the public ones. No target publishes it: scrape it
   * from the container's network (a Docker network in `networks`, a pod's port in Kubernetes).
   * @default - metrics on the public listeners at `metricsPath`, when set
   */
  readonly metricsListener?: { readonly port: number; readonly host?: string };
  /** Request limits and timeouts; each field has its own default. @default - the defaults of {@link LimitsOptions} */
  readonly limits?: LimitsOptions;
  /** Key pairs. More with {@link Service.addKeyPair}. @default - none */
  readonly keyPairs?: KeyPairOptions[];
  /** Usage plans. More with {@link Service.addUsagePlan}. @default - none */
  readonly usagePlans?: UsagePlanOptions[];
  /** IP lists and rate limit of every API that declares none of its own. @default - none */
  readonly apiDefaults?: ApiDefaultsOptions;
  /** Token backends present to push to WebSocket connections. @default - the push endpoint is off */
  readonly connectionsAdminToken?: Secret;
  /**
   * Serving threads of the gateway process, each a full gateway on the same listeners; needs Node.js
   * 22.12 or later (the default image's Node 24 has it), else one thread serves. Rate limits, quotas,
   * metrics and the connections endpoint stay per instance. Bound at start: a change restarts the gateway.
   * @default - the CPUs the container may use (its CPU quota, `--cpus`), at most 64
   */
  readonly workers?: number;
  /** Base image of the gateway image. @default 'node:24-bookworm-slim' */
  readonly baseImage?: string;
  /**
   * Where the gateway runs. Live targets (`DockerContainerTarget`, `ExistingGatewayTarget`) apply
   * API changes to the running gateway through our Terraform provider; baked ones
   * (`SwarmServiceTarget`, `KubernetesTarget`) build the config into the image and roll.
   * @default new DockerContainerTarget()
   */
  readonly deployment?: DeploymentTarget;
}

interface Computed {
  readonly config: GatewayConfig;
  /** The APIs in config order (`/apis/N`), and the index of each. */
  readonly apis: readonly Api[];
  readonly apiIndex: ReadonlyMap<IConstruct, number>;
  readonly bundles: FunctionBundle[];
  /** Everything wrong: nothing is deployed while there is any. */
  readonly issues: readonly ConfigIssue[];
  /** What the config's validation found (fields are JSON pointers into the config). */
  readonly configIssues: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
  /** Mistakes in the service's own props. */
  readonly serviceProblems: readonly PropProblem[];
}

/** Whether a reported problem already stands for `field` (the field itself or a part of it). */
function covers(problems: readonly PropProblem[], field: string): boolean {
  return problems.some((p) => field === p.field || field.startsWith(`${p.field}/`));
}

/** The default base image of the runtime. */
export const DEFAULT_BASE_IMAGE = 'node:24-bookworm-slim';

/** One gateway: listeners, stage, keys and usage plans, and its APIs. */
export class Service extends Construct {
  /** The service name in the config. */
  readonly serviceName: string;
  private readonly props: ServiceProps;
  private readonly keyPairs: KeyPairOptions[];
  private readonly usagePlans: UsagePlanOptions[];
  private memo: Computed | undefined;
  private staged: BuildContext | undefined;
  private deployed = false;
  private readonly target: DeploymentTarget;
  /** Why the deployment could not be declared (reported by validation). */
  private stagingError: string | undefined;
  /** Code of each bundled function (by its folder in the build context), read at synth. */
  private codeHashes = new Map<string, CodeBundle>();
  /** Function code a live target's resource names, by folder in the stack's working directory. */
  private stagedCode = new Map<string, CodeBundle>();

  constructor(scope: Construct, id: string, props: ServiceProps = {}) {
    super(scope, id);
    this.props = props;
    this.target = props.deployment ?? new DockerContainerTarget();
    this.serviceName = props.serviceName ?? id;
    this.keyPairs = [...(props.keyPairs ?? [])];
    this.usagePlans = [...(props.usagePlans ?? [])];
    this.node.addValidation({ validate: () => this.validateService() });
    registerApiHost(this, (api) => this.findingsFor(api));
    registerHostClaims(
      this,
      () => {
        const { listeners } = this.compute().config.service;
        const ports: GatewayPort[] = [];
        if (listeners.http) ports.push({ name: 'http', port: listeners.http.port });
        if (listeners.https) ports.push({ name: 'https', port: listeners.https.port });
        return this.target.hostClaims(this.serviceName, ports);
      },
      () => (this.target instanceof LiveDeploymentTarget ? terraformName(this.serviceName) : undefined),
    );
    // TerraformAsset hashes its folder when constructed, so the build context is staged once the tree is final.
    const aspect: IAspect = {
      visit: (node: IConstruct) => {
        if (node === this) this.deploy();
      },
    };
    Aspects.of(this).add(aspect);
    addCustomSynthesis(this, { onSynthesize: (session) => this.writeStackFiles(session) });
  }

  /** Adds an API. */
  addApi(id: string, options: ApiOptions): Api {
    this.memo = undefined;
    return new Api(this, id, options);
  }

  /** Adds a key pair for key-pair authentication. */
  addKeyPair(keyPair: KeyPairOptions): void {
    this.memo = undefined;
    this.keyPairs.push(keyPair);
  }

  /** Adds a usage plan binding key pairs to APIs. */
  addUsagePlan(plan: UsagePlanOptions): void {
    this.memo = undefined;
    this.usagePlans.push(plan);
  }

  /** The APIs of this service, in declaration order. */
  get apis(): Api[] {
    return this.node.children.filter((c): c is Api => c instanceof Api);
  }

  /** The gateway config document of this service (not yet validated). */
  toConfig(): GatewayConfig {
    return this.compute().config;
  }

  /** The staged build context (config, runtime, functions); available once the service is valid. */
  buildContext(): BuildContext {
    this.staged ??= stageBuildContext(this.compute().config, this.compute().bundles, this.stagingRoot('full'));
    return this.staged;
  }

  /**
   * Where this service's build contexts are staged before cdktf copies them into the stack's assets: inside
   * the app's outdir (not the system temp folder), one folder per service and kind, holding only the latest.
   */
  private stagingRoot(kind: 'full' | 'start'): string {
    const stack = TerraformStack.of(this);
    return join(App.of(this).outdir, '.apigw-contexts', stack.node.id, this.node.addr, kind);
  }

  private compute(): Computed {
    if (this.memo) return this.memo;
    const p = this.props;
    const apiConstructs = this.apis;
    const apis = apiConstructs.map((a) => a.toConfig());
    const limits: LimitsConfig = { ...DEFAULT_LIMITS, ...p.limits };
    const listenerHost = p.listenerHost ?? '0.0.0.0';
    const httpsPort = p.https?.port ?? 8443;
    // Redirects name the HTTPS port clients reach, which the target may publish under another number.
    const publishedHttps = p.https && p.redirectHttpToHttps ? this.target.publishedPort('https', httpsPort) : undefined;
    const redirectPort = publishedHttps !== undefined && publishedHttps !== httpsPort ? publishedHttps : undefined;
    const config: GatewayConfig = {
      version: 1,
      service: {
        name: this.serviceName,
        id: `service-${createHash('sha256').update(this.node.path).digest('hex').slice(0, 8)}`,
        ...(p.description !== undefined ? { description: p.description } : {}),
        stage: { name: p.stageName ?? 'release', variables: p.stageVariables ?? {} },
        listeners: {
          ...(p.httpPort === false
            ? {}
            : {
                http: {
                  port: p.httpPort ?? 8080,
                  host: listenerHost,
                  redirectToHttps: p.redirectHttpToHttps ?? false,
                  ...(redirectPort !== undefined ? { redirectPort } : {}),
                },
              }),
          ...(p.https
            ? {
                https: {
                  port: httpsPort,
                  host: listenerHost,
                  certificates: p.https.certificates.map((c) => ({
                    domains: c.domains,
                    cert: c.cert.ref,
                    key: c.key.ref,
                  })),
                  ...(p.https.defaultDomain !== undefined ? { defaultDomain: p.https.defaultDomain } : {}),
                  minVersion: p.https.minVersion ?? 'TLSv1.2',
                },
              }
            : {}),
          ...(p.metricsListener
            ? { metrics: { port: p.metricsListener.port, host: p.metricsListener.host ?? listenerHost } }
            : {}),
        },
        healthPath: p.healthPath ?? '/__apigw/health',
        ...(p.metricsPath !== undefined ? { metricsPath: p.metricsPath } : {}),
        limits,
        keyPairs: this.keyPairs.map((k) => ({ secretId: k.secretId, secretKey: k.secretKey.ref })),
        usagePlans: this.usagePlans.map((u) => ({
          name: u.name,
          keyPairs: u.keyPairs,
          ...(u.apis ? { apis: u.apis.map((a) => (typeof a === 'string' ? a : a.apiName)) } : {}),
          ...(u.rateLimitPerSecond !== undefined ? { rateLimitPerSecond: u.rateLimitPerSecond } : {}),
          ...(u.quota !== undefined ? { quota: u.quota } : {}),
        })),
        ...(p.connectionsAdminToken ? { connectionsAdminToken: p.connectionsAdminToken.ref } : {}),
        ...(p.apiDefaults ? { apiDefaults: apiDefaultsConfig(p.apiDefaults) } : {}),
        ...(p.workers !== undefined ? { workers: p.workers } : {}),
      },
      apis: apis.map((a) => a.config),
    };
    const problems = new Problems();
    checkService(config.service, problems);
    const result = validateConfig(config);
    const apiProblems = apis.flatMap((a, i) =>
      a.problems.map((p) => ({ field: `/apis/${i}${p.field}`, message: p.message })),
    );
    this.memo = {
      config,
      apis: apiConstructs,
      apiIndex: new Map(apiConstructs.map((a, i) => [a, i])),
      bundles: apis.flatMap((a) => [...a.bundles]),
      // Anything wrong stops the deployment; validation reports it.
      issues: [...problems.list, ...apiProblems, ...result.issues],
      configIssues: result.issues,
      warnings: result.warnings,
      serviceProblems: problems.list,
    };
    return this.memo;
  }

  /**
   * What the config's validation found about one API, in the words of its
   * props; the API reports it under its own path. Issues its props already
   * reported (the same field) are left out.
   */
  private findingsFor(api: IConstruct): ApiFindings {
    const { configIssues, warnings, apiIndex } = this.compute();
    const index = apiIndex.get(api);
    if (index === undefined) return { errors: [], warnings: [] };
    const prefix = `/apis/${index}`;
    const own = (api as Api).toConfig().problems;
    const mine = (list: readonly ConfigIssue[]): PropProblem[] =>
      list
        .filter((i) => i.field === prefix || i.field.startsWith(`${prefix}/`))
        .map((i) => ({ field: i.field.slice(prefix.length) || '/', message: i.message }))
        .filter((i) => !covers(own, i.field))
        .map((i) => ({
          field: i.field,
          message: Messages.configIssue(propOfField(i.field), this.withApiPaths(i.message)),
        }));
    return { errors: mine(configIssues), warnings: mine(warnings) };
  }

  /** The model names APIs by pointer (`/apis/0`); users know them by construct path. */
  private withApiPaths(message: string): string {
    const { apis } = this.compute();
    return message.replace(/\/apis\/(\d+)/g, (m: string, i: string) => apis[Number(i)]?.node.path ?? m);
  }

  /** Mistakes of the service itself; each API reports its own. */
  private validateService(): string[] {
    const { configIssues, serviceProblems } = this.compute();
    const errors = serviceProblems.map((p) => p.message);
    for (const issue of configIssues) {
      if (/^\/apis\/\d+(\/|$)/.test(issue.field) || covers(serviceProblems, issue.field)) continue;
      errors.push(Messages.configIssue(propOfField(issue.field), this.withApiPaths(issue.message)));
    }
    errors.push(...this.target.validate(this));
    if (this.target instanceof LiveDeploymentTarget) errors.push(...this.target.secretProblems(this.secrets()));
    else if (!(this.target instanceof BakedDeploymentTarget))
      errors.push(Messages.notATarget((this.target as object).constructor.name));
    for (const { where, secret } of this.secrets()) {
      const v = secret.variable;
      if (v && (v as unknown as { sensitive?: boolean }).sensitive !== true) {
        errors.push(Messages.variableNotSensitive(v.node.id, where));
      }
    }
    if (this.stagingError) errors.push(Messages.stagingFailed(this.stagingError));
    return errors;
  }

  /** Every secret of the service, with the prop it comes from and whether the gateway reads it at start. */
  private secrets(): SecretUse[] {
    const out: SecretUse[] = [];
    this.keyPairs.forEach((k) =>
      out.push({ where: `keyPairs "${k.secretId}" secretKey`, secret: k.secretKey, startBound: false }),
    );
    this.props.https?.certificates.forEach((c, i) => {
      out.push({ where: `https certificates[${i}] cert`, secret: c.cert, startBound: true });
      out.push({ where: `https certificates[${i}] key`, secret: c.key, startBound: true });
    });
    if (this.props.connectionsAdminToken)
      out.push({ where: 'connectionsAdminToken', secret: this.props.connectionsAdminToken, startBound: false });
    return out;
  }

  /** Secrets from Terraform variables, by environment name (`filter` picks which); undefined after a clash. */
  private secretValues(filter: (use: SecretUse) => boolean): SecretEnv[] | undefined {
    const values = new Map<string, SecretEnv>();
    const seen = new Map<string, Secret>();
    for (const use of this.secrets()) {
      const { secret } = use;
      if (!secret.variable || !('env' in secret.ref)) continue;
      const name = (secret.ref as Extract<SecretRef, { env: string }>).env;
      if (seen.has(name) && seen.get(name)?.variable !== secret.variable) {
        this.stagingError = Messages.secretEnvClash(name);
        return undefined;
      }
      seen.set(name, secret);
      if (!values.has(name) && filter(use)) values.set(name, { name, value: secret.variable.stringValue });
    }
    return [...values.values()];
  }

  /** Runs once at synth (from an aspect): declares the deployment. */
  private deploy(): void {
    if (this.deployed) return;
    this.deployed = true;
    const { config, issues } = this.compute();
    if (issues.length > 0) return; // validation reports them; nothing to deploy
    for (const b of this.compute().bundles) {
      try {
        this.codeHashes.set(b.targetDir, readCodeBundle(b.sourceDir));
      } catch (err) {
        // A live target uploads exactly these files; a baked one copies the folder itself and
        // only the review file's hash is missing.
        if (this.target instanceof LiveDeploymentTarget) {
          this.stagingError = (err as Error).message;
          return;
        }
      }
    }
    const ports: GatewayPort[] = [];
    if (config.service.listeners.http) ports.push({ name: 'http', port: config.service.listeners.http.port });
    if (config.service.listeners.https) ports.push({ name: 'https', port: config.service.listeners.https.port });
    const runtime: GatewayRuntime = {
      serviceName: this.serviceName,
      baseImage: this.props.baseImage ?? DEFAULT_BASE_IMAGE,
      ports,
      healthPath: config.service.healthPath,
      shutdownGraceSeconds: Math.ceil(config.service.limits.shutdownGraceMs / 1000),
    };
    if (this.target instanceof LiveDeploymentTarget) this.deployLive(this.target, config, runtime);
    else if (this.target instanceof BakedDeploymentTarget) this.deployBaked(this.target, runtime);
  }

  /** The whole config and function code in the image. */
  private deployBaked(target: BakedDeploymentTarget, runtime: GatewayRuntime): void {
    let context: BuildContext;
    try {
      context = this.buildContext();
    } catch (err) {
      this.stagingError = (err as Error).message;
      return;
    }
    const secretEnv = this.secretValues(() => true);
    if (!secretEnv) return;
    const artifact: GatewayArtifact = {
      ...runtime,
      ...this.imageContext(this, context, 'BuildContext'),
      secretEnv,
    };
    target.deploy(this, artifact);
  }

  /** The start config in the image, the rest applied live through the provider. */
  private deployLive(target: LiveDeploymentTarget, config: GatewayConfig, runtime: GatewayRuntime): void {
    const appliedSecrets = this.secretValues((u) => !u.startBound);
    const startSecretEnv = this.secretValues((u) => u.startBound);
    if (!appliedSecrets || !startSecretEnv) return;
    const hashes = this.codeHashes;
    this.stagedCode = new Map(
      this.compute().bundles.map((b) => [stagedCodeDir(this.serviceName, b.targetDir), hashes.get(b.targetDir)!]),
    );
    const applied = mapBundledSources(toAppliedConfig(config), (targetDir) => ({
      dir: stagedCodeDir(this.serviceName, targetDir),
      sha256: hashes.get(targetDir)?.sha256,
    }));
    const artifact: LiveGatewayArtifact = {
      ...runtime,
      config,
      applied,
      appliedSecrets,
      startSecretEnv,
      startConfig: (admin) => startConfigOf(config, admin),
      startImage: (scope, startConfig) =>
        this.imageContext(scope, stageBuildContext(startConfig, [], this.stagingRoot('start')), 'BuildContext'),
    };
    try {
      target.deployLive(this, artifact);
    } catch (err) {
      // For example the runtime bundle is missing (the package was not built): reported by validation.
      this.stagingError = (err as Error).message;
    }
  }

  private imageContext(scope: Construct, context: BuildContext, id: string): GatewayImageContext {
    return {
      context: new TerraformAsset(scope, id, { path: context.dir, type: AssetType.DIRECTORY }),
      contextHash: context.hash,
      imageName: `cdktf-apigw/${this.serviceName.toLowerCase().replace(/[^a-z0-9_.-]/g, '-')}:${context.hash.slice(0, 12)}`,
      configJson: context.configJson,
    };
  }

  /**
   * At synth, after validation: writes the review config (every target) and a live target's
   * function code into the stack's working directory.
   */
  private writeStackFiles(session: ISynthesisSession): void {
    const { config, issues } = this.compute();
    if (issues.length > 0 || this.stagingError) return;
    const admin: AdminListenerConfig | undefined =
      this.target instanceof LiveDeploymentTarget ? this.target.adminListener() : undefined;
    const review: GatewayConfig = mapBundledSources(
      { ...config, service: { ...config.service, ...(admin ? { admin } : {}) } },
      (targetDir, dir) => ({ dir, sha256: this.codeHashes.get(targetDir)?.sha256 }),
    );
    const stack = TerraformStack.of(this);
    writeServiceFiles(session, stack, stackWorkingDirectory(session, stack), {
      serviceName: this.serviceName,
      reviewJson: canonicalJson(review),
      code: this.stagedCode,
    });
  }
}
