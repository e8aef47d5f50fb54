/** Finds the files this package ships for the image: the runtime bundle and the Dockerfile. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let root: string | undefined;

/** The package's root folder (works from `lib/` sources and from compiled `dist/lib/`). */
export function packageRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'cdktf-apigw') {
      root = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cdktf-apigw: cannot find the package root (package.json) above ' + __dirname);
    dir = up;
  }
}

/** Folder of the bundled runtime (`gateway.js`, `gateway-worker.js`, `worker.js`), built by `npm run build`. */
export function runtimeBundleDir(): string {
  const dir = join(packageRoot(), 'dist', 'runtime-bundle');
  if (!existsSync(join(dir, 'gateway.js'))) {
    throw new Error(`cdktf-apigw: the runtime bundle is missing at ${dir}; run "npm run build" in the package`);
  }
  return dir;
}

/** The gateway image's Dockerfile. */
export function dockerfilePath(): string {
  return join(packageRoot(), 'runtime', 'Dockerfile');
}
