// npm run fuzz:handshakes [-- --count N --seed S]: structure-aware fuzzing of
// WebSocket handshakes against the built gateway (dist/), in this process:
// a WebSocket backend API (its ws backend sends a message over the API's
// maxMessageBytes as soon as it accepts, on /big), a WebSocket API served by
// functions and a CORS-guarded one. Prints what it tried (per field, per
// value) and the outcome counts; exits 1 on any crash, 500, undocumented or
// body-less refusal, or socket left open (counted in /proc/self/fd); a crash
// ends the process with its stack.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
if (!existsSync(join(dist, 'runtime', 'gateway.js'))) throw new Error('run "npm run build" first');
const { Gateway } = require(join(dist, 'runtime', 'gateway.js'));
const { DEFAULT_LIMITS } = require(join(dist, 'model'));
const { fuzz } = require('./handshake-fuzz.js');
const { openSockets, printReport, until } = require('./fuzz-common.js');

const { values } = parseArgs({
  options: { count: { type: 'string', default: '10000' }, seed: { type: 'string', default: '1' } },
});
const count = Number(values.count);
const seed = Number(values.seed);
const MAX = 1024;
const ALLOWED = 'https://app.example';

// The WebSocket backend: echoes, or on /big sends an oversize message at once. Counts its connections.
const backendSockets = new Set();
const server = createServer((_q, res) => res.writeHead(404).end());
server.on('connection', (s) => {
  backendSockets.add(s);
  s.once('close', () => backendSockets.delete(s));
});
const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => p.values().next().value ?? false });
server.on('upgrade', (req, socket, head) =>
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('error', () => undefined);
    if (req.url.startsWith('/big')) ws.send('x'.repeat(MAX * 4));
    ws.on('message', (d, binary) => ws.send(d, { binary }));
  }),
);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `ws://127.0.0.1:${server.address().port}`;

const dir = mkdtempSync(join(tmpdir(), 'apigw-fuzz-'));
mkdirSync(join(dir, 'fn'));
writeFileSync(
  join(dir, 'fn', 'index.js'),
  'exports.register = async () => ({ errNo: 0 });\nexports.transfer = async (e) => e.body;\n',
);
const target = (handler) => ({
  namespace: 'default',
  functionName: handler,
  version: '$LATEST',
  timeoutMs: 2000,
  source: { type: 'bundled', dir: 'fn', handler: `index.${handler}`, memoryMb: 64 },
});
const ws = (name, path, backend, extra = {}) => ({
  name,
  frontend: { type: 'websocket', rawPath: `=${path}`, match: 'exact', path, method: 'GET' },
  auth: { type: 'none' },
  cors: null,
  parameters: [],
  backend,
  response: { errorCodes: [] },
  ...extra,
});
const wsBackend = (path) => ({
  type: 'websocket',
  origin,
  path,
  connectTimeoutMs: 1000,
  parameterMappings: [],
  constants: [],
  maxMessageBytes: MAX,
});
const config = {
  version: 1,
  service: {
    name: 'fuzz',
    id: 'service-fuzz',
    stage: { name: 'release', variables: {} },
    listeners: { http: { port: 0, host: '127.0.0.1', redirectToHttps: false } },
    healthPath: '/__apigw/health',
    limits: { ...DEFAULT_LIMITS, shutdownGraceMs: 500 },
    keyPairs: [],
    usagePlans: [],
  },
  apis: [
    ws('ws', '/ws', wsBackend('/echo')),
    ws('big', '/big', wsBackend('/big')),
    ws('fn', '/fn', {
      type: 'websocketFunctions',
      register: target('register'),
      transfer: target('transfer'),
      maxMessageBytes: MAX,
    }),
    ws('browser', '/browser', wsBackend('/echo'), {
      cors: { allowOrigins: [ALLOWED], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false },
    }),
  ],
};
const file = join(dir, 'gateway.json');
writeFileSync(file, JSON.stringify(config));

const gateway = await Gateway.fromFile(file, { env: {}, accessLog: null });
const { http } = await gateway.listen();
const socketsBefore = openSockets();
const started = Date.now();
const report = await fuzz({
  port: http.port,
  seed,
  count,
  paths: ['/ws', '/big', '/fn', '/browser', '/nowhere'],
  allowedOrigin: ALLOWED,
});
const seconds = (Date.now() - started) / 1000;
const health = await fetch(`http://127.0.0.1:${http.port}/__apigw/health`).then(
  (r) => r.status,
  () => 0,
);
const backendClosed = await until(() => backendSockets.size === 0, 10_000);
const socketsBack = await until(() => openSockets() <= socketsBefore, 10_000);

printReport(`${count} fuzzed WebSocket handshakes, seed ${seed}, ${seconds.toFixed(1)} s`, report);
const fives = Object.entries(report.outcomes).filter(([k]) => k.startsWith('5'));
console.log('\n## Checks\n');
// An uncaught exception or unhandled rejection would have ended this process before this line.
console.log('- crashes: 0');
console.log(`- answers of 5xx: ${fives.reduce((n, [, c]) => n + c, 0)}`);
console.log(`- undocumented or body-less answers, or no answer to a waiting client: ${report.failures.length}`);
for (const f of report.failures.slice(0, 10)) console.log(`  - ${f.why}: ${JSON.stringify(f.request)}`);
console.log(`- health after the run: ${health}`);
console.log(`- backend connections left open: ${backendSockets.size}`);
console.log(`- sockets of this process before / after: ${socketsBefore} / ${openSockets()}`);

await gateway.close();
for (const c of wss.clients) c.terminate();
server.closeAllConnections();
server.close();
rmSync(dir, { recursive: true, force: true });
const ok = fives.length === 0 && report.failures.length === 0 && health === 200 && backendClosed && socketsBack;
process.exit(ok ? 0 : 1);
