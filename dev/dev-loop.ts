/**
 * `apigw dev`: the developer loop. Synthesizes the user's cdktf app into a
 * private folder, serves every service on 127.0.0.1 with a gateway in this
 * process, and on each save synthesizes again and applies the change live
 * through the admin API, as a deploy does (see local-gateway.ts). A synth
 * error or a refused apply is printed and the last good config keeps serving.
 *
 * Output, one short line per event:
 *
 *   petstore  http://127.0.0.1:8080  (4 APIs)
 *   petstore: added hello; changed getPet (applied in 38 ms, generation 3)
 *   synth failed; the last good config keeps serving:
 *     [gateway/petstore/getPet] backend timeout: at most 30 minutes, got 31 minutes
 */
import { diffGateways, type ServiceDiff } from '../review/diff';
import type { EventLog, LogSink } from '../runtime/access-log';
import { defaultPort, LocalGateway, startKeyOf } from './local-gateway';
import { readDevEnvFile, resolveSecrets, secretNeeds } from './secrets';
import { Synthesizer, type CdktfProject, type SynthesizedService } from './synth';
import { toAppliedConfig } from '../model';

export interface PortChoice {
  /** Added to each service's own port. */
  readonly offset: number;
  /** Ports by service name; `*` for every service. */
  readonly overrides: ReadonlyMap<string, number>;
}

export interface DevLoopOptions {
  readonly project: CdktfProject;
  /** The private synth output folder. */
  readonly outdir: string;
  readonly ports: PortChoice;
  readonly events: EventLog;
  readonly accessLog: LogSink | null;
  /** Where the loop's lines go. */
  readonly print: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

interface Served {
  readonly gateway: LocalGateway;
  /** The config it serves (the last one applied), for the next diff. */
  service: SynthesizedService;
}

export class DevLoop {
  private readonly synth: Synthesizer;
  private readonly served = new Map<string, Served>();
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: DevLoopOptions) {
    this.synth = new Synthesizer(options.project, options.outdir, options.env ?? process.env);
  }

  /** The URL each service is served at. */
  get urls(): ReadonlyMap<string, string> {
    return new Map([...this.served].map(([name, s]) => [name, s.gateway.url]));
  }

  /** Synthesizes and applies; a call while one runs makes it run once more after. Resolves when caught up. */
  cycle(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.once();
      } while (this.again && !this.stopped);
      this.running = undefined;
    })();
    return this.running;
  }

  /** Stops synth and every gateway. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.synth.stop();
    await Promise.allSettled([...this.served.values()].map((s) => s.gateway.close()));
    this.served.clear();
  }

  private async once(): Promise<void> {
    const { print } = this.options;
    const result = await this.synth.run();
    if (this.stopped) return;
    if (!result.ok) {
      print(
        this.served.size > 0
          ? 'synth failed; the last good config keeps serving:'
          : 'synth failed; nothing is served until it succeeds:',
      );
      for (const e of result.errors) print(`  ${e}`);
      return;
    }
    const next = result.services;
    if (next.size === 0) print('the app declares no Service: nothing to serve');
    let changed = false;
    for (const [name, s] of [...this.served]) {
      if (next.has(name)) continue;
      this.served.delete(name);
      await s.gateway.close();
      print(`${name}: removed from the app; its gateway stopped`);
      changed = true;
    }
    for (const service of next.values()) {
      if (this.stopped) return;
      changed = (await this.serve(service)) || changed;
    }
    if (!changed && next.size > 0) print(`no change (synth ${result.ms} ms)`);
  }

  /** Serves or updates one service; true when something changed. */
  private async serve(service: SynthesizedService): Promise<boolean> {
    const { print } = this.options;
    const current = this.served.get(service.name);
    const needs = secretNeeds(toAppliedConfig(service.config));
    let fileValues: Record<string, string>;
    try {
      fileValues = readDevEnvFile(this.options.project.dir);
    } catch (err) {
      print(`${service.name}: ${(err as Error).message}`);
      return true;
    }
    const secrets = resolveSecrets(needs, this.options.env ?? process.env, fileValues);

    if (current && current.gateway.startKey !== startKeyOf(service.config)) {
      // Listeners and the health path are bound at start: as a deploy would, restart (connections close).
      this.served.delete(service.name);
      await current.gateway.close();
      print(`${service.name}: its port or health path changed; restarting its gateway`);
      return this.serve(service);
    }
    if (current) {
      const diff = serviceDiff(current.service, service);
      if (diff.status === 'unchanged' && secrets.missing.length === 0) {
        // Secrets may have changed in .apigw-dev.env: apply anyway, quietly (an identical apply changes nothing).
        await current.gateway.apply(service, secrets.values);
        return false;
      }
      if (secrets.missing.length > 0) {
        print(`${service.name}: not applied; the last good config keeps serving:`);
        for (const m of secrets.missing) print(`  ${m}`);
        return true;
      }
      const outcome = await current.gateway.apply(service, secrets.values);
      if (!outcome.ok) {
        print(`${service.name}: the gateway refused the change; the last good config keeps serving:`);
        for (const p of outcome.problems) print(`  ${p}`);
        return true;
      }
      current.service = service;
      print(`${service.name}: ${describeChange(diff)} (applied in ${outcome.ms} ms, generation ${outcome.generation})`);
      return true;
    }

    const port = this.portOf(service);
    let gateway: LocalGateway;
    try {
      gateway = await LocalGateway.start(service, {
        port,
        events: this.options.events,
        accessLog: this.options.accessLog,
      });
    } catch (err) {
      print(`${service.name}: ${(err as Error).message}`);
      return true;
    }
    if (this.stopped) {
      await gateway.close();
      return false;
    }
    const apis = service.config.apis.length;
    print(`${service.name}  ${gateway.url}  (${apis} API${apis === 1 ? '' : 's'})`);
    if (secrets.missing.length > 0) {
      print(`${service.name}: serves no API until its secrets are set:`);
      for (const m of secrets.missing) print(`  ${m}`);
      // Served with its start config; the next save with the secrets set applies it (diffed against nothing).
      this.served.set(service.name, { gateway, service: { ...service, config: { ...service.config, apis: [] } } });
      return true;
    }
    const outcome = await gateway.apply(service, secrets.values);
    if (!outcome.ok) {
      print(`${service.name}: the gateway refused the config; it serves no API until a change is accepted:`);
      for (const p of outcome.problems) print(`  ${p}`);
      this.served.set(service.name, { gateway, service: { ...service, config: { ...service.config, apis: [] } } });
      return true;
    }
    this.served.set(service.name, { gateway, service });
    return true;
  }

  private portOf(service: SynthesizedService): number {
    const { offset, overrides } = this.options.ports;
    return overrides.get(service.name) ?? overrides.get('*') ?? defaultPort(service.config) + offset;
  }
}

function serviceDiff(before: SynthesizedService, after: SynthesizedService): ServiceDiff {
  const side = (s: SynthesizedService) => new Map([[s.name, { config: s.config, dir: s.dir }]]);
  return diffGateways(side(before), side(after)).services[0] as ServiceDiff;
}

/** `added hello; changed getPet, listPets; removed old; service settings changed`. */
export function describeChange(diff: ServiceDiff): string {
  const changed = new Set([...diff.changed.map((c) => c.name), ...diff.shared.flatMap((s) => s.apis)]);
  const parts = [
    diff.added.length > 0 ? `added ${diff.added.map((a) => a.name).join(', ')}` : '',
    changed.size > 0 ? `changed ${[...changed].sort().join(', ')}` : '',
    diff.removed.length > 0 ? `removed ${diff.removed.map((a) => a.name).join(', ')}` : '',
    diff.serviceChanges.length > 0 ? 'service settings changed' : '',
  ].filter((p) => p !== '');
  return parts.length > 0 ? parts.join('; ') : 'secrets changed';
}
