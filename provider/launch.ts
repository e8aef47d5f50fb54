/**
 * The provider's entry point (the launcher runs `node launch.cjs`): runs the
 * bundle `provider.cjs` through V8's code cache when `provider.v8cache` sits
 * next to it. Terraform starts a provider process several times per
 * command, and compiling the bundle is a good part of each start; a cache
 * made for another node version is rejected by V8 and the bundle compiles
 * as usual.
 *
 * With APIGW_PROVIDER_CODE_CACHE_OUT set, writes the cache there when the
 * process exits (vendorProvider runs the provider once so, in its warm-up
 * mode).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

const file = join(__dirname, 'provider.cjs');
const cacheFile = join(__dirname, 'provider.v8cache');
const source = readFileSync(file, 'utf8');
const script = new Script(Module.wrap(source), {
  filename: file,
  ...(existsSync(cacheFile) ? { cachedData: readFileSync(cacheFile) } : {}),
});
const out = process.env.APIGW_PROVIDER_CODE_CACHE_OUT;
if (out) process.on('exit', () => writeFileSync(out, script.createCachedData()));

const mod = new Module(file, module);
mod.filename = file;
const run = script.runInThisContext() as (
  exports: unknown,
  require: NodeJS.Require,
  module: Module,
  filename: string,
  dirname: string,
) => void;
run.call(mod.exports, mod.exports, require, mod, file, dirname(file));
