/**
 * gRPC service definitions for @grpc/grpc-js, built from the protocol
 * descriptor with protobufjs's reflection (no .proto parsing at run time).
 * Messages are plain objects with the .proto's snake_case field names.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs/light';
import { protoDescriptor } from './proto-source';

export interface Protocol {
  readonly provider: ServiceDefinition;
  readonly controller: ServiceDefinition;
  readonly stdio: ServiceDefinition;
  readonly broker: ServiceDefinition;
  readonly health: ServiceDefinition;
}

export function loadProtocol(): Protocol {
  const root = protobuf.Root.fromJSON(protoDescriptor());
  root.resolveAll();
  const service = (name: string): ServiceDefinition => definition(root.lookupService(name));
  return {
    provider: service('tfplugin6.Provider'),
    controller: service('plugin.GRPCController'),
    stdio: service('plugin.GRPCStdio'),
    broker: service('plugin.GRPCBroker'),
    health: service('grpc.health.v1.Health'),
  };
}

function definition(service: protobuf.Service): ServiceDefinition {
  const out: Record<string, ServiceDefinition[string]> = {};
  for (const method of service.methodsArray) {
    const req = method.resolvedRequestType as protobuf.Type;
    const res = method.resolvedResponseType as protobuf.Type;
    out[method.name] = {
      path: `/${service.fullName.slice(1)}/${method.name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: (v: object) => Buffer.from(req.encode(v).finish()),
      requestDeserialize: (b: Buffer) => req.decode(b),
      responseSerialize: (v: object) => Buffer.from(res.encode(v).finish()),
      responseDeserialize: (b: Buffer) => res.decode(b),
      originalName: method.name,
    };
  }
  return out as ServiceDefinition;
}
