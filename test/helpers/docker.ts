/**
 * Access to a real Docker engine for container tests. Without an engine the
 * tests skip with a visible reason; on CI (`CI=true`) a missing engine fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export function dockerAvailable(): { ok: true } | { ok: false; reason: string } {
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return { ok: false, reason: `docker CLI not usable: ${r.error.message}` };
  if (r.status !== 0)
    return { ok: false, reason: `no Docker engine reachable: ${(r.stderr || '').trim().split('\n')[0]}` };
  return { ok: true };
}

/** `describe` that runs when an engine is reachable, skips with the reason otherwise, and fails on CI. */
export function describeWithDocker(name: string, fn: () => void): void {
  const state = dockerAvailable();
  if (state.ok) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs a Docker engine on CI', () => {
        throw new Error(`CI=true but ${state.reason}; .ci/run must start dockerd`);
      });
    });
    return;
  }
  console.warn(`SKIPPED "${name}": ${state.reason}`);
  describe.skip(`${name} (skipped: ${state.reason})`, fn);
}

export function docker(args: string[], options: { cwd?: string; input?: string } = {}): string {
  return execFileSync('docker', args, {
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    ...options,
  }).trim();
}

/** The base image tests build on: APIGW_BASE_IMAGE, or the local one made by scripts/local-base-image.sh. */
export function testBaseImage(): string {
  return process.env.APIGW_BASE_IMAGE ?? 'cdktf-apigw/local-node:24';
}
