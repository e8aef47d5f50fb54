/** Loads gateway configs for review: a config file, or a synth output folder holding one per service. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
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
  const files = statSync(path).isDirectory() ? findConfigs(path) : [path];
  if (files.length === 0) throw new Error(`${path} holds no config/gateway.json (run cdktf synth first)`);
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
