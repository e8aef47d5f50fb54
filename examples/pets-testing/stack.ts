/**
 * A small stack tested with `cdktf-apigw/testing` (see `stack.test.ts`): a
 * pets API on an HTTP backend, a partner report behind key pairs, a profile
 * behind OAuth 2.0, a WebSocket chat and a mock status.
 */
import { TerraformStack, TerraformVariable } from 'cdktf';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import type { Construct } from 'constructs';
import { Auth, Duration, HttpBackend, MockBackend, Secret, Service, WebSocketBackend } from 'cdktf-apigw';

export interface PetsStackProps {
  /** The PEM public key OAuth 2.0 access tokens are verified with. */
  readonly tokenPublicKeyPem: string;
}

export class PetsStack extends TerraformStack {
  readonly service: Service;

  constructor(scope: Construct, id: string, props: PetsStackProps) {
    super(scope, id);
    new DockerProvider(this, 'docker', {});
    const partnerKey = new TerraformVariable(this, 'partner_key', { type: 'string', sensitive: true });
    const service = new Service(this, 'pets', {
      httpPort: 8080,
      keyPairs: [{ secretId: 'partner', secretKey: Secret.fromVariable(partnerKey, 'PARTNER_KEY') }],
    });
    this.service = service;

    service.addApi('getPet', {
      path: '/pets/{petId}',
      parameters: [{ name: 'petId', in: 'path', type: 'int', sample: '42', description: 'the pet id' }],
      backend: new HttpBackend({
        origin: 'https://pets.internal',
        path: '/v1/pets/{petId}',
        timeout: Duration.seconds(5),
      }),
      response: {
        successSample: '{"id":42,"name":"Rex"}',
        errorCodes: [{ code: 'PetNotFound', message: 'no such pet' }],
      },
    });
    const report = service.addApi('partnerReport', {
      path: '=/partner/report',
      auth: Auth.keyPair({ requireSignedRequestTarget: true }),
      backend: MockBackend.json({ report: 'for partners only' }),
    });
    service.addUsagePlan({ name: 'partners', keyPairs: ['partner'], apis: [report] });
    service.addApi('me', {
      path: '=/me',
      auth: Auth.oauth2({
        publicKeyPem: props.tokenPublicKeyPem,
        algorithms: ['RS256'],
        issuer: 'https://login.example.com/',
        audience: ['pets'],
        forwardClaims: { sub: 'x-user-id' },
      }),
      backend: new HttpBackend({ origin: 'https://accounts.internal', path: '/v1/me' }),
    });
    service.addApi('chat', {
      protocol: 'websocket',
      path: '=/chat',
      backend: new WebSocketBackend({ origin: 'wss://chat.internal', path: '/rooms/main' }),
    });
    service.addApi('status', { path: '=/status', backend: MockBackend.json({ ok: true }) });
  }
}
