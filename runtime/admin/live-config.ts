/**
 * The config a gateway serves and how it changes: the start config (the
 * file), live applies through the admin API, DELETE back to the start config,
 * SIGHUP reloads, and the state directory that makes applies survive a
 * restart. Every change goes through one queue (never two at once) and the
 * same steps: validate the whole document, check function bundles, compile
 * it completely, persist it, then swap it in. Anything that fails before the
 * swap changes nothing.
 *
 * "Compile" and "swap" are the host's: an in-process `Gateway` compiles on
 * its own thread; a multi-worker process (`cluster/coordinator.ts`) compiles
 * on every worker before any of them swaps, so its host answers
 * asynchronously and stands for the compiled generation with a handle of its
 * own (`G`).
 */
import {
  toAppliedConfig,
  validateConfig,
  type AppliedConfig,
  type ApplyRequest,
  type ApplyResult,
  type BundledFunctionSource,
  type ConfigIssue,
  type ConfigState,
} from '../../model';
import type { EventLog } from '../access-log';
import { CompileError, type CompiledGateway } from '../compile';
import { loadConfigFile, type LoadedConfig } from '../config-loader';
import type { Metrics } from '../metrics';
import {
  bundlesOf,
  bundledSources,
  configEtag,
  secretDigests,
  secretIssues,
  startBoundChange,
  startBoundIssues,
  withStartBound,
} from './applied-config';
import { BundleStore } from './bundle-store';
import { AdminFailure, adminFailure, reasonOf } from './failure';
import { SerialQueue } from './serial-queue';
import { StateStore } from './state-store';

/** What the gateway does for its config: compile one, and serve one. `G` is what a compiled config is to the host. */
export interface LiveConfigHost<G = CompiledGateway> {
  /** Compiles a config document completely; throws (a `CompileError` naming the field) when it cannot. */
  compile(
    loaded: LoadedConfig,
    env: NodeJS.ProcessEnv,
    codeDir: ((source: BundledFunctionSource) => string) | undefined,
  ): G | Promise<G>;
  /** Serves `next` from now on; the generation it replaces retires. */
  swap(next: G, generation: number): void | Promise<void>;
  /** Frees a compiled config that will not serve (its state could not be persisted). */
  discard(next: G): void;
  readonly metrics: Metrics;
}

export interface LiveConfigOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Where applies persist; without it they live in memory only. */
  readonly stateDir?: string;
  /** The admin token: secret digests (and so ETags) are keyed with it. */
  readonly token?: string;
  /** How long an unused bundle is kept after its last upload or HEAD (ADMIN_BUNDLE_KEEP_MS). */
  readonly bundleKeepMs: number;
  readonly events: EventLog;
}

/** The config being served, in the admin API's terms. */
interface Serving {
  readonly source: 'started' | 'applied';
  readonly config: AppliedConfig;
  readonly secrets: Readonly<Record<string, string>>;
  readonly etag: string;
}

/** An applied config that passed every check but compiling: what to compile, and how it will serve. */
interface Checked {
  readonly loaded: LoadedConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly codeDir: (source: BundledFunctionSource) => string;
  readonly serving: Serving;
}

/** The state directory at start: the generation it reached, and its applied config when that passed the checks. */
interface SavedState {
  readonly generation: number;
  readonly applied?: Checked;
}

export class LiveConfig<G = CompiledGateway> {
  private start: LoadedConfig;
  private serving!: Serving;
  /** The config served before the current one: its bundles are kept (requests may still run on it). */
  private previous: Serving | undefined;
  private generation = 1;
  private readonly queue = new SerialQueue();
  private readonly store: StateStore | undefined;
  private bundleStore: BundleStore | undefined;
  private closed = false;

  constructor(
    start: LoadedConfig,
    private readonly host: LiveConfigHost<G>,
    private readonly options: LiveConfigOptions,
  ) {
    this.start = start;
    this.store = options.stateDir ? StateStore.open(options.stateDir) : undefined;
    if (this.store) this.bundleStore = BundleStore.at(this.store.bundlesDir);
  }

  /** Uploaded function code (a temp folder, created on first use, without a state directory). */
  get bundles(): BundleStore {
    this.bundleStore ??= BundleStore.temporary();
    return this.bundleStore;
  }

  get currentGeneration(): number {
    return this.generation;
  }

  /**
   * The first generation: the state directory's applied config when it holds
   * one that validates and compiles (`state_refused` is logged when it does
   * not), the start config otherwise. Throws when the start config cannot be
   * compiled. For a host that compiles synchronously (`openAsync` for any).
   */
  open(): G {
    const saved = this.savedState();
    if (saved.applied) {
      try {
        return this.adoptSaved(saved, synchronously(this.compileChecked(saved.applied)));
      } catch (err) {
        this.refuseSaved(err);
      }
    }
    return this.adoptStart(saved, synchronously(this.host.compile(this.start, this.options.env, undefined)));
  }

  /** `open()` for a host that compiles asynchronously (on worker threads). */
  async openAsync(): Promise<G> {
    const saved = this.savedState();
    if (saved.applied) {
      try {
        return this.adoptSaved(saved, await this.compileChecked(saved.applied));
      } catch (err) {
        this.refuseSaved(err);
      }
    }
    return this.adoptStart(saved, await this.host.compile(this.start, this.options.env, undefined));
  }

  /** Reads the state directory; `state_refused` is logged when it cannot serve. */
  private savedState(): SavedState {
    if (this.options.token !== undefined && !this.store) {
      this.options.events.warn('admin_state_in_memory', {
        warning:
          'the admin listener is on without a state directory: applied configs live in memory and a restart serves the start config again (set --state-dir or APIGW_STATE_DIR)',
      });
    }
    let generation = 0;
    try {
      const saved = this.store?.load();
      generation = saved?.generation ?? 0;
      if (saved?.applied) return { generation, applied: this.check(saved.applied.config, saved.applied.secrets, true) };
    } catch (err) {
      this.refuseSaved(err);
    }
    return { generation };
  }

  private refuseSaved(err: unknown): void {
    this.options.events.warn('state_refused', {
      stateDir: this.options.stateDir,
      reason: reasonOf(err),
      serving: 'start config',
    });
  }

  private adoptSaved(saved: SavedState, next: G): G {
    const serving = (saved.applied as Checked).serving;
    this.serving = serving;
    this.generation = saved.generation;
    this.options.events.info('state_loaded', {
      stateDir: this.options.stateDir,
      generation: this.generation,
      apis: serving.config.apis.length,
    });
    return next;
  }

  private adoptStart(saved: SavedState, next: G): G {
    this.generation = saved.generation + 1;
    this.serving = this.startServing();
    return next;
  }

  /**
   * Runs `job` with no config change in progress and none starting until it
   * is done (a multi-worker process starts a replacement worker on the
   * generation being served).
   */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    return this.queue.run(job);
  }

  /** GET /v1/config. */
  describe(): ConfigState {
    return {
      generation: this.generation,
      etag: this.serving.etag,
      config: this.serving.config,
      secretDigests: secretDigests(this.options.token ?? '', this.serving.secrets),
      bundles: this.bundles.list(),
      source: this.serving.source,
    };
  }

  get etag(): string {
    return this.serving.etag;
  }

  /** PUT /v1/config: validates, compiles, persists and serves the config; throws an AdminFailure and changes nothing otherwise. */
  apply(request: ApplyRequest, ifMatch: string | undefined): Promise<ApplyResult> {
    return this.change('apply', async () => {
      this.checkPrecondition(ifMatch);
      const etag = this.etagOf(request.config, request.secrets);
      // The config already serves: nothing to do (a re-run of the same apply).
      if (this.serving.source === 'applied' && etag === this.serving.etag) return false;
      const checked = this.check(request.config, request.secrets, false);
      await this.commit(await this.compileChecked(checked), checked.serving, true);
      return true;
    });
  }

  /** DELETE /v1/config: back to the start config, by the same steps as an apply. */
  revert(ifMatch: string | undefined): Promise<ApplyResult> {
    return this.change('revert', async () => {
      this.checkPrecondition(ifMatch);
      if (this.serving.source === 'started') return false;
      let next: G;
      try {
        next = await this.host.compile(this.start, this.options.env, undefined);
      } catch (err) {
        throw compileFailure(err, 'the start config cannot be compiled');
      }
      await this.commit(next, this.startServing(), true);
      return true;
    });
  }

  /**
   * SIGHUP. While the start config serves, the file is read again and served
   * when it is valid and binds the same listeners. While an applied config
   * serves, the file is not read (that would silently undo the applies): the
   * applied config is compiled again, so secrets read from files and the
   * environment are read again. Resolves false (logged) when refused.
   */
  reload(file = this.start.file): Promise<boolean> {
    return this.queue.run(async () => {
      if (this.closed) return false;
      const source = this.serving.source;
      try {
        if (source === 'started') {
          const loaded = await loadConfigFile(file);
          const problem = startBoundChange(this.start.config, loaded.config);
          if (problem) throw new Error(problem);
          const next = await this.host.compile(loaded, this.options.env, undefined);
          this.start = loaded;
          await this.commit(next, this.startServing(), false);
        } else {
          const checked = this.check(this.serving.config, this.serving.secrets, false);
          await this.commit(await this.compileChecked(checked), checked.serving, true);
        }
      } catch (err) {
        this.host.metrics.reloadFailures++;
        this.options.events.warn('reload_refused', { file, source, reason: reasonOf(err) });
        return false;
      }
      this.host.metrics.reloads++;
      this.options.events.info('reloaded', {
        file: source === 'started' ? file : undefined,
        source,
        apis: this.serving.config.apis.length,
        generation: this.generation,
      });
      return true;
    });
  }

  /** Resolves once the changes queued so far are done. */
  settled(): Promise<void> {
    return this.queue.run(() => Promise.resolve());
  }

  /** Waits for a change in progress; later ones are refused. Removes a temporary bundle store. */
  async close(): Promise<void> {
    await this.queue.run(async () => {
      this.closed = true;
    });
    await this.bundleStore?.close();
  }

  /** Runs an apply or revert in the queue, counting and logging its outcome. */
  private change(kind: 'apply' | 'revert', job: () => Promise<boolean>): Promise<ApplyResult> {
    return this.queue.run(async () => {
      try {
        if (this.closed) throw adminFailure('InternalError', 'the gateway is shutting down; nothing changed');
        const changed = await job();
        if (changed) this.host.metrics.applies++;
        this.options.events.info(changed ? 'config_applied' : 'config_unchanged', {
          kind,
          source: this.serving.source,
          generation: this.generation,
          etag: this.serving.etag,
          apis: this.serving.config.apis.length,
        });
        return { generation: this.generation, etag: this.serving.etag };
      } catch (err) {
        this.host.metrics.applyFailures++;
        this.options.events.warn('apply_refused', { kind, reason: reasonOf(err) });
        if (err instanceof AdminFailure) throw err;
        this.options.events.error('admin_error', { kind, error: (err as Error).stack ?? String(err) });
        throw adminFailure('InternalError', 'the gateway failed to apply the config; nothing changed');
      }
    });
  }

  private checkPrecondition(ifMatch: string | undefined): void {
    if (ifMatch === undefined) return;
    const tags = ifMatch.split(',').map((t) => t.trim());
    if (tags.includes('*') || tags.includes(this.serving.etag)) return;
    throw adminFailure(
      'ConfigConflict',
      `If-Match ${ifMatch} is not the current ETag ${this.serving.etag}: the config changed since it was read`,
      { etag: this.serving.etag },
    );
  }

  /**
   * Checks an applied config with its secrets for everything but compiling:
   * start-bound fields, the model's schema and rules, function bundles (hashed
   * again when `verifyBundles`, as at start) and secrets. Throws an
   * AdminFailure naming every problem it can find.
   */
  private check(config: AppliedConfig, secrets: Readonly<Record<string, string>>, verifyBundles: boolean): Checked {
    const raw = config as unknown as Record<string, unknown>;
    const bound = startBoundIssues(raw);
    const result = validateConfig(withStartBound(raw, this.start.config));
    if (bound.length > 0 || !result.ok) {
      const issues = [...bound, ...(result.ok ? [] : result.issues)];
      throw adminFailure('ConfigInvalid', `the config is invalid (${issues.length} issues)`, { issues });
    }
    const full = result.config;

    const unnamed: ConfigIssue[] = [];
    const missing: ConfigIssue[] = [];
    const checked = new Map<string, string | undefined>();
    for (const { field, api, source } of bundledSources(full)) {
      const sha = source.sha256;
      if (sha === undefined) {
        unnamed.push({
          field: `${field}/sha256`,
          message: `API ${api}: bundled function code must be named by its sha256 in an applied config`,
        });
      } else if (!this.bundles.has(sha)) {
        missing.push({
          field: `${field}/sha256`,
          message: `API ${api}: bundle ${sha} is not stored; upload it with PUT /v1/bundles/${sha}`,
        });
      } else if (verifyBundles) {
        if (!checked.has(sha)) checked.set(sha, this.bundles.verify(sha));
        const problem = checked.get(sha);
        if (problem) missing.push({ field: `${field}/sha256`, message: `API ${api}: ${problem}` });
      }
    }
    if (unnamed.length > 0)
      throw adminFailure('ConfigInvalid', 'bundled function code is not named by sha256', { issues: unnamed });
    if (missing.length > 0)
      throw adminFailure('BundleMissing', `the gateway does not hold ${missing.length} function bundles`, {
        issues: missing,
      });

    // The request's secrets first, then the gateway's environment (spread: a key is only ever a key).
    const env: NodeJS.ProcessEnv = { ...this.options.env, ...secrets };
    const unreadable = secretIssues(full, env, this.start.baseDir);
    if (unreadable.length > 0)
      throw adminFailure('ConfigInvalid', 'secrets the config names cannot be read', { issues: unreadable });

    const loaded: LoadedConfig = { config: full, file: this.start.file, baseDir: this.start.baseDir };
    return {
      loaded,
      env,
      codeDir: (source) => this.bundles.dir(source.sha256 as string),
      serving: { source: 'applied', config, secrets, etag: this.etagOf(config, secrets) },
    };
  }

  /** Compiles a checked config; a failure is an AdminFailure naming the field. */
  private compileChecked(checked: Checked): G | Promise<G> {
    const failed = (err: unknown): never => {
      // A host's own failure (a worker thread stopped while compiling) is not the config's fault.
      throw err instanceof AdminFailure ? err : compileFailure(err, 'the config cannot be compiled');
    };
    try {
      const next = this.host.compile(checked.loaded, checked.env, checked.codeDir);
      return next instanceof Promise ? next.catch(failed) : next;
    } catch (err) {
      return failed(err);
    }
  }

  /** Persists (when asked and a state directory is set), then serves `next`; bundles no longer used are removed. */
  private async commit(next: G, serving: Serving, persist: boolean): Promise<void> {
    const generation = this.generation + 1;
    if (persist && this.store) {
      try {
        await this.store.save(
          {
            generation,
            applied: serving.source === 'applied' ? { config: serving.config, secrets: serving.secrets } : undefined,
          },
          serving.etag,
        );
      } catch (err) {
        this.host.discard(next);
        throw adminFailure(
          'InternalError',
          `the state directory cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing changed`,
        );
      }
    }
    this.previous = this.serving;
    this.serving = serving;
    this.generation = generation;
    await this.host.swap(next, generation);
    await this.removeUnusedBundles();
  }

  private async removeUnusedBundles(): Promise<void> {
    if (!this.bundleStore) return;
    const keep = bundlesOf(this.serving.config);
    if (this.previous) for (const sha of bundlesOf(this.previous.config)) keep.add(sha);
    try {
      const removed = await this.bundleStore.removeUnused(keep, this.options.bundleKeepMs);
      if (removed.length > 0) this.options.events.info('bundles_removed', { bundles: removed });
    } catch (err) {
      this.options.events.warn('bundles_remove_failed', { reason: (err as Error).message });
    }
  }

  private startServing(): Serving {
    const config = toAppliedConfig(this.start.config);
    return { source: 'started', config, secrets: {}, etag: this.etagOf(config, {}) };
  }

  private etagOf(config: AppliedConfig, secrets: Readonly<Record<string, string>>): string {
    return configEtag(config, secretDigests(this.options.token ?? '', secrets));
  }
}

/** The value of a host's compile that must be synchronous (`open()`). */
function synchronously<G>(next: G | Promise<G>): G {
  if (next instanceof Promise) {
    void next.catch(() => undefined);
    throw new Error('open() needs a host that compiles synchronously; use openAsync()');
  }
  return next;
}

function compileFailure(err: unknown, message: string): AdminFailure {
  const field = err instanceof CompileError ? err.field : '/';
  return adminFailure('ConfigInvalid', message, { issues: [{ field, message: (err as Error).message }] });
}
