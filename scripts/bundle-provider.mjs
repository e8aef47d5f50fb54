// Bundles the Terraform provider into dist/provider-bundle/: provider.cjs
// (the provider, one file), launch.cjs (its entry point, run by node through
// the launcher vendor.ts writes) and provider.json (source address, version). The protocol descriptor
// and the schema docs are computed here and compiled in, so the provider
// neither parses .proto files nor loads TypeScript when Terraform starts it.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'provider-bundle');
mkdirSync(out, { recursive: true });

// 1. Run the build-time modules (proto parsing, TSDoc extraction) once.
// Inside the package, so its require() finds typescript and protobufjs.
const tmp = join(out, `.build-time-${process.pid}.cjs`);
await build({
  stdin: {
    contents: `export { protoDescriptor } from './provider/proto-source';
               export { extractSchemaDocs } from './provider/schema-docs';
               export { providerVersion } from './provider/version';`,
    resolveDir: root,
    loader: 'ts',
  },
  outfile: tmp,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  external: ['typescript', 'protobufjs'],
  logLevel: 'warning',
});
const buildTime = createRequire(join(root, 'package.json'))(tmp);
rmSync(tmp);
const descriptor = buildTime.protoDescriptor(join(root, 'provider', 'proto'));
const docs = buildTime.extractSchemaDocs([join(root, 'model', 'schema.ts'), join(root, 'model', 'admin.ts')]);

// 2. Bundle the provider with those results in place of the modules that compute them.
const precompiled = {
  name: 'precompiled',
  setup(b) {
    b.onLoad({ filter: /provider[\\/]proto-source\.ts$/ }, () => ({
      contents: `export const PROTO_FILES = []; export function protoDescriptor() { return ${JSON.stringify(descriptor)}; }`,
      loader: 'js',
    }));
    b.onLoad({ filter: /provider[\\/]schema-docs-table\.ts$/ }, () => ({
      contents: `export function schemaDocs() { return ${JSON.stringify(docs)}; }`,
      loader: 'js',
    }));
  },
};
const result = await build({
  entryPoints: [join(root, 'provider', 'main.ts')],
  outfile: join(out, 'provider.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  // Loaded by grpc-js only for its channelz and ORCA services, which the provider never serves.
  external: ['@grpc/proto-loader'],
  keepNames: false,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [precompiled],
  write: false,
});
const code = result.outputFiles[0].contents;
writeFileSync(join(out, 'provider.cjs'), code);
// The entry point: runs provider.cjs through V8's code cache (see provider/launch.ts).
const launch = await build({
  entryPoints: [join(root, 'provider', 'launch.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  legalComments: 'none',
  logLevel: 'warning',
  write: false,
});
const launchCode = launch.outputFiles[0].contents;
writeFileSync(join(out, 'launch.cjs'), launchCode);

// 3. The version: the package's plus the bundle's hash (see provider/version.ts).
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = buildTime.providerVersion(pkg.version, Buffer.concat([code, launchCode]));
writeFileSync(
  join(out, 'provider.json'),
  `${JSON.stringify({ hostname: 'cdktf-apigw.dev', namespace: 'cdktf-apigw', type: 'apigw', version }, null, 2)}\n`,
);
