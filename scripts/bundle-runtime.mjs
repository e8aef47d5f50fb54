// Bundles the runtime into dist/runtime-bundle/ (gateway.js and the function worker):
// the image then needs only node, no node_modules.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
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
const worker = join(root, 'runtime', 'functions', 'worker.js');
copyFileSync(worker, join(out, 'worker.js'));
// tsc does not copy .js files: the compiled runtime in dist/ needs the worker next to pool.js too.
const compiled = join(root, 'dist', 'runtime', 'functions');
if (existsSync(compiled)) copyFileSync(worker, join(compiled, 'worker.js'));
