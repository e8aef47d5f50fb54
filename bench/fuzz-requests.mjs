// npm run fuzz:requests [-- --count N --seed S]: structure-aware fuzzing of
// plain HTTP requests against the built gateway (dist/), served in this
// process with the config of request-fuzz-world.js (mock, HTTP backend, path,
// header and query parameters, regex and prefix routes, key pairs with a
// rate-limited usage plan, OAuth 2.0 with an inline JWKS, CORS, a body schema,
// IP lists, a per-API rate limit, a bundled function) and its real echo
// backend on 127.0.0.1. Prints what it tried (per field, per value), the
// outcome counts, the failures, the elapsed time and the leak checks; exits 1
// on any failure (see request-fuzz.js), a 5xx, a request the echo backend
// should never have received, health other than 200 afterwards, or a socket
// (counted in /proc/self/fd) or backend connection left open. A crash ends the
// process with its stack.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
if (!existsSync(join(dist, 'runtime', 'gateway.js'))) throw new Error('run "npm run build" first');
const { Gateway } = require(join(dist, 'runtime', 'gateway.js'));
const { Errors } = require(join(dist, 'runtime', 'errors.js'));
const { fuzz } = require('./request-fuzz.js');
const { openSockets, printReport, until } = require('./fuzz-common.js');
const world = require('./request-fuzz-world.js');

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '16' },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);

const echo = await world.startEchoBackend();
const issuer = world.createIssuer();
const dir = mkdtempSync(join(tmpdir(), 'apigw-fuzz-requests-'));
world.writeFunctionCode(dir);
const file = join(dir, 'gateway.json');
writeFileSync(file, JSON.stringify(world.worldConfig({ echoOrigin: echo.origin, jwks: issuer.jwks })));

const gateway = await Gateway.fromFile(file, { env: world.ENV, accessLog: null });
const { http } = await gateway.listen();
const health = () => world.get(http.port, world.HEALTH_PATH);
// The baseline: the gateway listening, the function's workers started, its health answered.
await world.warmUp(http.port);
await health();
const socketsBefore = openSockets();
const backendBefore = echo.connections();
const started = Date.now();
const report = await fuzz({
  port: http.port,
  seed,
  count,
  issuer,
  catalogue: Errors,
  concurrency: Number(values.concurrency),
});
const seconds = (Date.now() - started) / 1000;
const healthAfter = await health();
const backendClosed = await until(() => echo.connections() === 0, 15_000);
const socketsBack = await until(() => openSockets() <= socketsBefore, 15_000);

printReport(`${count} fuzzed HTTP requests, seed ${seed}, ${seconds.toFixed(1)} s`, report);
const fives = Object.entries(report.outcomes).filter(
  ([k]) => /^5\d\d /.test(k) && !/\((mock|echo|function)\)$/.test(k),
);
console.log('\n## Checks\n');
// An uncaught exception or unhandled rejection would have ended this process before this line.
console.log('- crashes: 0');
console.log(`- gateway answers of 5xx: ${fives.reduce((n, [, c]) => n + c, 0)}`);
console.log(`- failures: ${report.failures.length}`);
for (const f of report.failures.slice(0, Number(process.env.SHOW ?? 20)))
  console.log(`  - ${f.why} [${f.outcome}] case seed ${f.caseSeed}: ${JSON.stringify(f.request.slice(0, 300))}`);
console.log(`- requests the echo backend should never have received: ${echo.violations.length}`);
for (const v of echo.violations.slice(0, 10)) console.log(`  - ${v.why}: ${v.method} ${JSON.stringify(v.url)}`);
console.log(`- echo backend requests: ${echo.requests()}`);
console.log(`- health after the run: ${healthAfter}`);
console.log(`- backend connections before / after: ${backendBefore} / ${echo.connections()}`);
console.log(`- sockets of this process before / after: ${socketsBefore} / ${openSockets()}`);

await gateway.close();
await echo.close();
rmSync(dir, { recursive: true, force: true });
const ok =
  fives.length === 0 &&
  report.failures.length === 0 &&
  echo.violations.length === 0 &&
  healthAfter === 200 &&
  backendClosed &&
  socketsBack;
process.exit(ok ? 0 : 1);
