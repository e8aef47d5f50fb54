// What the benchmarks share: the processes they start, the proxied API they measure, the CPU a process spent,
// wrk's figures, a median.
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const started = [];

/** Stops (SIGTERM, by PID) every process the script started that still runs. */
export function stopChildren() {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}
process.on('exit', stopChildren);
process.on('SIGINT', () => process.exit(130));

/** Tracks a started process: it is stopped with `stopChildren`, at the latest when the script exits. */
export function track(child) {
  started.push(child);
  return child;
}

/** Forks a bench server script (backend, proxy) and waits for the port it sends once listening. */
export function forkReady(script, args, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = track(fork(script, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env }));
    child.once('message', (m) => resolve({ child, pid: child.pid, port: m.port }));
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

/** A temporary folder for the run's files, removed when the script exits. */
export function workDir() {
  const dir = mkdtempSync(join(tmpdir(), 'apigw-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/**
 * The proxied GET the benchmarks compare (a config `apis` entry): routing, a path and a query parameter (with a
 * default) and CORS, to `/v1/pets/{id}` on the bench backend; `auth` puts it behind key-pair authentication.
 */
export function petApi(parsePathSyntax, backendPort, auth = false) {
  const raw = '/pets/{id}';
  const { match, path } = parsePathSyntax(raw);
  return {
    name: 'getPet',
    frontend: { type: 'http', rawPath: raw, match, path, method: 'GET' },
    auth: { type: auth ? 'keyPair' : 'none' },
    cors: { allowOrigins: ['*'], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false },
    parameters: [
      { name: 'id', in: 'path', type: 'int', required: true },
      { name: 'verbose', in: 'query', type: 'boolean', required: false, default: 'false' },
    ],
    backend: {
      type: 'http',
      origin: `http://127.0.0.1:${backendPort}`,
      path: '/v1/pets/{id}',
      method: 'GET',
      timeoutMs: 10000,
      parameterMappings: [],
      constants: [],
    },
    response: { errorCodes: [] },
  };
}

/** utime + stime of a process so far, in seconds (from /proc/PID/stat). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/**
 * Runs wrk (`command` is its argv before the URL, e.g. `['wrk', '-t2', '-c50', '-d5s']` or a `taskset` prefix)
 * with the headers, and reads its report: requests, seconds, req/s, non-2xx answers and, with --latency, p50/p99 ms.
 */
export function wrk(command, url, headers = {}) {
  const h = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const out = execFileSync(command[0], [...command.slice(1), ...h, url], { encoding: 'utf8' });
  const lat = (p) => {
    const m = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return undefined;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  return {
    requests: Number(/(\d+) requests in/.exec(out)[1]),
    seconds: Number.parseFloat(/requests in ([\d.]+)s/.exec(out)[1]),
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    p50: lat(50),
    p99: lat(99),
  };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
