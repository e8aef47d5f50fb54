/**
 * Structure-aware fuzzing of backend responses (1xx sequences, 204/304 with
 * bodies, duplicate/negative/huge Content-Length, Content-Length with
 * Transfer-Encoding, bad chunk sizes, trailers, header floods, bad status
 * lines, responses cut at every byte offset) against the bundled gateway run
 * as its own process: `bench/fuzz-backend.mjs` with a fixed seed and a
 * bounded count (the script runs 10,000 by default).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

interface FuzzSummary {
  ok: boolean;
  cases: number;
  tried: Record<string, number>;
  outcomes: Record<string, number>;
  crashes: number;
  answersOf500: number;
  gatewayFds: { before: number; after: number };
  backendConnectionsLeft: number;
  healthy: boolean;
  violations: unknown[];
}

it('600 fuzzed backend responses: no crash, no 500, no leaked socket, every answer the backend’s or a 502/504', () => {
  const out = execFileSync(
    process.execPath,
    [join(__dirname, '..', '..', 'bench', 'fuzz-backend.mjs'), '--count', '600', '--seed', '15', '--json'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  const summary = JSON.parse(out.trim().split('\n').pop() as string) as FuzzSummary;
  expect(summary.violations).toEqual([]);
  expect(summary).toMatchObject({
    ok: true,
    cases: 600,
    crashes: 0,
    answersOf500: 0,
    backendConnectionsLeft: 0,
    healthy: true,
  });
  expect(summary.gatewayFds.after).toBeLessThanOrEqual(summary.gatewayFds.before);
  // Every family was tried, and the gateway both relayed and refused.
  expect(Object.keys(summary.tried).sort()).toEqual(
    [
      'bodiless',
      'chunks',
      'contentLength',
      'earlyClose',
      'headers',
      'informational',
      'transferEncoding',
      'valid',
    ].sort(),
  );
  expect(summary.outcomes.relayed).toBeGreaterThan(100);
  expect(summary.outcomes['502']).toBeGreaterThan(50);
});
