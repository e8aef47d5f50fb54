/**
 * The quickstart stack: one gateway service showing every backend kind and
 * the main frontend options. `main.ts` synthesizes it; `serve-local.ts` runs
 * the same config locally without Docker.
 */
import { App, TerraformStack, TerraformVariable } from 'cdktf';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Construct } from 'constructs';
import {
  ApiPath,
  Auth,
  Cors,
  Duration,
  FunctionCode,
  HttpBackend,
  MockBackend,
  ScfBackend,
  Secret,
  Service,
  WebSocketBackend,
} from '../../lib';

export interface QuickstartOptions {
  /** Where the sample HTTP backend listens. @default 'http://127.0.0.1:8081' */
  readonly httpOrigin?: string;
  /** Where the sample WebSocket backend listens. @default 'ws://127.0.0.1:8082' */
  readonly wsOrigin?: string;
  /** Gateway HTTP port. @default 8080 */
  readonly port?: number;
  /** Base image of the gateway image. @default 'node:24-bookworm-slim' */
  readonly baseImage?: string;
}

/** Folder of the example's function code (from sources, or from the compiled copy in dist/). */
export const functionsDir = existsSync(join(__dirname, 'functions'))
  ? join(__dirname, 'functions')
  : join(__dirname, '..', '..', '..', 'examples', 'quickstart', 'functions');

export class QuickstartStack extends TerraformStack {
  readonly service: Service;

  constructor(scope: Construct, id: string, options: QuickstartOptions = {}) {
    super(scope, id);
    new DockerProvider(this, 'docker', {});
    const httpOrigin = options.httpOrigin ?? 'http://127.0.0.1:8081';

    const partnerKey = new TerraformVariable(this, 'partner_secret_key', {
      type: 'string',
      sensitive: true,
      description: 'Signing secret of the "partner" key pair',
    });

    const service = new Service(this, 'petstore', {
      description: 'Quickstart: every backend kind and match mode',
      httpPort: options.port ?? 8080,
      stageName: 'release',
      stageVariables: { greeting: 'hello' },
      metricsPath: '/__apigw/metrics',
      ...(options.baseImage ? { baseImage: options.baseImage } : {}),
      keyPairs: [{ secretId: 'partner', secretKey: Secret.fromVariable(partnerKey, 'APIGW_KEY_PARTNER') }],
    });
    this.service = service;

    // Mock backend, exact match, CORS with `*`.
    service.addApi('status', {
      path: '=/status',
      cors: true,
      backend: MockBackend.json({ status: 'ok' }),
      response: { contentType: 'application/json', successSample: '{"status":"ok"}' },
    });

    // HTTP backend with a dynamic path, typed parameters, a default and a constant header.
    service.addApi('getPet', {
      path: '/pets/{petId}',
      description: 'Fetch one pet',
      parameters: [
        { name: 'petId', in: 'path', type: 'int', sample: '42', description: 'Pet id' },
        { name: 'verbose', in: 'query', type: 'boolean', default: 'false' },
      ],
      cors: Cors.custom({ allowOrigins: ['https://app.example.com'], allowCredentials: true, maxAgeSeconds: 600 }),
      backend: new HttpBackend({
        origin: httpOrigin,
        path: '/v1/pets/{petId}',
        timeout: Duration.seconds(5),
        constants: [{ in: 'header', name: 'x-upstream-client', value: 'apigw' }],
      }),
      response: {
        successSample: '{"id":42,"name":"Rex"}',
        errorCodes: [{ code: 'PetNotFound', message: 'no such pet', description: 'The id is unknown' }],
      },
    });

    // Prefix match: everything under /static/ goes to the backend, path rest appended.
    service.addApi('static', {
      path: ApiPath.prefix('/static/'),
      backend: new HttpBackend({ origin: httpOrigin, path: '/files/' }),
    });

    // Regular expression route with a named group, method change and parameter mapping.
    service.addApi('orderByNumber', {
      path: ApiPath.regex('^/orders/(?<number>[0-9]{1,10})$'),
      method: 'POST',
      parameters: [{ name: 'number', in: 'path', type: 'long' }],
      backend: new HttpBackend({ origin: httpOrigin, path: '/v1/orders/{number}', method: 'PUT' }),
    });

    // Key-pair authenticated API behind a usage plan.
    const report = service.addApi('partnerReport', {
      path: '=/partner/report',
      auth: Auth.keyPair(),
      backend: MockBackend.json({ report: 'for partners only' }),
    });
    service.addUsagePlan({ name: 'partners', keyPairs: ['partner'], apis: [report], rateLimitPerSecond: 10 });

    // Function backend: bundled Node.js code, integration response.
    service.addApi('hello', {
      path: '=/hello',
      parameters: [{ name: 'name', in: 'query', default: 'world' }],
      backend: new ScfBackend({
        functionName: 'hello',
        code: FunctionCode.fromDirectory(join(functionsDir, 'hello'), { handler: 'index.main_handler' }),
        responseIntegration: true,
        timeout: Duration.seconds(3),
      }),
    });

    // WebSocket frontend proxied to a WebSocket backend.
    service.addApi('chat', {
      protocol: 'websocket',
      path: '=/chat',
      backend: new WebSocketBackend({ origin: options.wsOrigin ?? 'ws://127.0.0.1:8082', path: '/ws' }),
    });

    // Plain path: exact or prefix, the lowest priority (catch-all).
    service.addApi('home', { path: '/', backend: MockBackend.json({ service: 'petstore', docs: '/status' }) });
  }
}

/** Synthesizes the quickstart into `outdir` (default `cdktf.out`). */
export function synthQuickstart(options: QuickstartOptions & { outdir?: string } = {}): App {
  const app = new App(options.outdir ? { outdir: options.outdir } : {});
  new QuickstartStack(app, 'quickstart', options);
  app.synth();
  return app;
}
