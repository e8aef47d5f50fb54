// Bundles the runtime into dist/runtime-bundle/ (gateway.js, the gateway worker's script and the function worker):
// the image then needs only node, no node_modules.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'runtime-bundle');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, 'runtime', 'bin.ts')],
  outfile: join(out, 'gateway.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  legalComments: 'none',
  logLevel: 'warning',
});
// A gateway worker thread's script (runtime/cluster/gateway-worker.ts) is the bundle itself: its entry runs the
// worker when loaded in one (runtime/bin.ts).
writeFileSync(join(out, 'gateway-worker.js'), "'use strict';\nrequire('./gateway.js');\n");
const worker = join(root, 'runtime', 'functions', 'worker.js');
copyFileSync(worker, join(out, 'worker.js'));
// tsc does not copy .js files: the compiled runtime in dist/ needs the worker next to pool.js too.
const compiled = join(root, 'dist', 'runtime', 'functions');
if (existsSync(compiled)) copyFileSync(worker, join(compiled, 'worker.js'));
