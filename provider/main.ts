/**
 * The provider process: go-plugin's handshake as Terraform 1.11 drives it
 * (see README "Terraform provider"). Terraform starts one process per
 * command phase, so start-up is kept short: the protocol descriptor and the
 * schema docs are precompiled into the bundle.
 *
 * stdout carries exactly one line, the handshake; everything else is stderr.
 */
import * as grpc from '@grpc/grpc-js';
import * as adminModule from '../model/admin';
import * as schemaModule from '../model/schema';
import { describer } from './describe';
import { loadProtocol } from './protocol';
import { ApigwProvider } from './provider';
import { schemaDocs } from './schema-docs-table';
import { selfSignedCertificate } from './tls';

const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
const MAGIC_COOKIE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
const APP_PROTOCOL_VERSION = 6;
const CORE_PROTOCOL_VERSION = 1;

type Handler = (req: Record<string, unknown>) => unknown;

/** With APIGW_PROVIDER_TIMING=1, start-up phases are logged to stderr (ms since the process started). */
const timing = process.env.APIGW_PROVIDER_TIMING === '1';
function lap(phase: string): void {
  if (timing) process.stderr.write(`[TIMING] ${phase} ${performance.now().toFixed(1)} ms\n`);
}

async function main(): Promise<void> {
  lap('modules loaded');
  // Ctrl-C reaches every process of the terminal's group: like Go providers, let Terraform decide
  // (it finishes or stops the running operation) rather than dying in the middle of an apply.
  process.on('SIGINT', () => undefined);
  // Nothing but the handshake may reach stdout.
  console.log = console.error;
  console.info = console.error;
  // Warm-up (vendorProvider, for the code cache): every start-up step, then exit without serving.
  const warmUp = process.env.APIGW_PROVIDER_WARM_UP === '1';
  if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE && !warmUp) {
    process.stderr.write(
      'This is the cdktf-apigw Terraform provider: a plugin that Terraform starts. Run terraform, not this program.\n',
    );
    process.exit(1);
  }
  const versions = (process.env.PLUGIN_PROTOCOL_VERSIONS ?? String(APP_PROTOCOL_VERSION)).split(',');
  if (!versions.includes(String(APP_PROTOCOL_VERSION))) {
    process.stderr.write(
      `this provider speaks plugin protocol ${APP_PROTOCOL_VERSION}; Terraform offered ${versions.join(',')}\n`,
    );
    process.exit(1);
  }

  const clientCert = process.env.PLUGIN_CLIENT_CERT;
  const cert = clientCert || warmUp ? await selfSignedCertificate() : undefined;
  lap('certificate');
  const credentials =
    clientCert && cert
      ? grpc.ServerCredentials.createSsl(
          Buffer.from(clientCert as string),
          [{ private_key: Buffer.from(cert.keyPem), cert_chain: Buffer.from(cert.certPem) }],
          true,
        )
      : grpc.ServerCredentials.createInsecure();

  const protocol = loadProtocol();
  lap('protocol');
  const provider = new ApigwProvider({
    describe: describer(
      schemaDocs(),
      [schemaModule, adminModule],
      [[adminModule.AppliedService, schemaModule.Service]],
    ),
  });
  lap('schema');
  // Terraform sends whole configs: 1,000 APIs are several MB per message.
  const server = new grpc.Server({ 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });

  const unary =
    (name: string, fn: Handler): grpc.handleUnaryCall<Record<string, unknown>, unknown> =>
    (call, callback) => {
      const started = performance.now();
      Promise.resolve()
        .then(() => fn(call.request))
        .then(
          (res) => {
            if (timing) process.stderr.write(`[TIMING] ${name} ${(performance.now() - started).toFixed(1)} ms\n`);
            callback(null, res);
          },
          (err: Error) => {
            process.stderr.write(`[ERROR] ${err.stack ?? err.message}\n`);
            callback({ code: grpc.status.INTERNAL, details: err.message });
          },
        );
    };
  const handlers: Record<string, Handler> = {
    GetMetadata: () => provider.getMetadata(),
    GetProviderSchema: () => provider.getProviderSchema(),
    ValidateProviderConfig: (r) => provider.validateProviderConfig(r),
    ValidateResourceConfig: (r) => provider.validateResourceConfig(r),
    UpgradeResourceState: (r) => provider.upgradeResourceState(r),
    ConfigureProvider: (r) => provider.configureProvider(r),
    ReadResource: (r) => provider.readResource(r),
    PlanResourceChange: (r) => provider.planResourceChange(r),
    ApplyResourceChange: (r) => provider.applyResourceChange(r),
    ImportResourceState: (r) => provider.importResourceState(r),
    GetFunctions: () => provider.getFunctions(),
    StopProvider: () => ({ Error: '' }),
  };
  server.addService(
    protocol.provider,
    Object.fromEntries(Object.entries(handlers).map(([name, fn]) => [name, unary(name, fn)])),
  );
  server.addService(protocol.controller, {
    // Terraform is done with us: answer, then exit at once (go-plugin would wait 2 s for the process otherwise).
    Shutdown: (_call: unknown, callback: grpc.sendUnaryData<object>) => {
      callback(null, {});
      setImmediate(() => process.exit(0));
    },
  });
  server.addService(protocol.stdio, {
    // Kept open and silent: our output goes to stderr, which Terraform reads directly.
    StreamStdio: () => undefined,
  });
  server.addService(protocol.broker, {
    StartStream: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      call.on('data', () => undefined);
      call.on('end', () => call.end());
    },
  });
  server.addService(protocol.health, {
    Check: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, { status: 1 }),
    Watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      call.write({ status: 1 });
    },
  });

  if (warmUp) {
    protocol.provider.GetProviderSchema?.responseSerialize(provider.getProviderSchema());
    process.exit(0);
  }
  const port = await new Promise<number>((resolvePort, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolvePort(p))),
  );
  const certPart = cert ? cert.certDer.toString('base64').replace(/=+$/, '') : '';
  process.stdout.write(`${CORE_PROTOCOL_VERSION}|${APP_PROTOCOL_VERSION}|tcp|127.0.0.1:${port}|grpc|${certPart}\n`);
  lap('handshake');
}

main().catch((err: Error) => {
  process.stderr.write(`[ERROR] the apigw provider could not start: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
