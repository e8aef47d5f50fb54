/**
 * Loads gateway configs for review: a config file, or a synth output folder
 * holding one per service. Synth writes each service's whole config to
 * `stacks/<stack>/apigw/<service>.json`, whatever its target: those are the
 * services. Older outputs have only the image build contexts'
 * `config/gateway.json`, searched for when there is no `apigw/` file (a
 * live target's image holds only its start config, which is never the service).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatIssues, validateConfig, type GatewayConfig } from '../model';

/** Configs by service name. */
export function loadConfigs(path: string): Map<string, GatewayConfig> {
  return new Map([...loadGateways(path)].map(([name, g]) => [name, g.config]));
}

export interface LoadedGateway {
  readonly config: GatewayConfig;
  /** Folder of the config file: bundled function code lies relative to it. */
  readonly dir: string;
}

/** Configs by service name, with the folder each was read from. */
export function loadGateways(path: string): Map<string, LoadedGateway> {
  let files = [path];
  if (!existsSync(path)) throw new Error(`${path} not found: give a cdktf.out folder or a gateway config file`);
  if (statSync(path).isDirectory()) {
    const synthesized = findServiceFiles(path);
    files = synthesized.length > 0 ? synthesized : findConfigs(path);
  }
  if (files.length === 0)
    throw new Error(
      `${path} holds no stacks/<stack>/apigw/<service>.json or config/gateway.json (run cdktf synth first)`,
    );
  const out = new Map<string, LoadedGateway>();
  for (const file of files) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file} is not JSON: ${(err as Error).message}`);
    }
    const result = validateConfig(doc);
    if (!result.ok) throw new Error(`${file} is not a valid gateway config:\n${formatIssues(result.issues)}`);
    const name = result.config.service.name;
    if (out.has(name)) throw new Error(`${path} holds two configs of service "${name}"`);
    out.set(name, { config: result.config, dir: dirname(file) });
  }
  return out;
}

/** `apigw/<service>.json` next to a stack's `cdk.tf.json` (or `cdk.tf`), anywhere under `dir`. */
function findServiceFiles(dir: string): string[] {
  const found: string[] = [];
  const isStack = (d: string): boolean => existsSync(join(d, 'cdk.tf.json')) || existsSync(join(d, 'cdk.tf'));
  const walk = (d: string): void => {
    if (isStack(d)) {
      const apigw = join(d, 'apigw');
      if (!existsSync(apigw)) return;
      for (const entry of readdirSync(apigw, { withFileTypes: true })) {
        if (entry.isFile() && entry.name.endsWith('.json')) found.push(join(apigw, entry.name));
      }
      return;
    }
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name === '.git') continue;
      walk(join(d, entry.name));
    }
  };
  walk(dir);
  return found.sort();
}

function findConfigs(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name === '.git') continue;
      found.push(...findConfigs(full));
    } else if (entry.name === 'gateway.json' && dir.endsWith('config')) {
      found.push(full);
    }
  }
  return found.sort();
}
