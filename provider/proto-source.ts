/**
 * The protocol definitions (`proto/*.proto`) as a protobufjs JSON
 * descriptor. Parsing .proto text costs start-up time, so the provider
 * bundle carries the result of this function instead
 * (scripts/bundle-provider.mjs replaces this module); tests run it as is.
 */
import { join } from 'node:path';
import protobuf from 'protobufjs';

export const PROTO_FILES = ['tfplugin6.proto', 'go-plugin.proto', 'health.proto'];

export function protoDescriptor(dir = join(__dirname, 'proto')): protobuf.INamespace {
  const root = new protobuf.Root();
  root.loadSync(
    PROTO_FILES.map((f) => join(dir, f)),
    { keepCase: true },
  );
  return root.toJSON();
}
