/**
 * ExistingGatewayTarget: a gateway started by other means. The stack holds
 * only our provider's configuration and the `apigw_service` resource — no
 * Docker resources and no docker provider.
 */
import { Testing, TerraformStack, TerraformVariable } from 'cdktf';
import { Auth, ExistingGatewayTarget, MockBackend, Secret, Service, type ServiceProps } from '../../../lib';

type Block = Record<string, unknown>;
interface Synthed {
  resource: Record<string, Record<string, Block>>;
  provider: Record<string, Block[]>;
  variable: Record<string, Block>;
  terraform: { required_providers: Record<string, unknown> };
}

function synthError(s: TerraformStack): string[] {
  try {
    Testing.synth(s, true);
    return [];
  } catch (err) {
    return (err as Error).message
      .split('\n')
      .filter((l) => l.startsWith('  ['))
      .map((l) => l.trim());
  }
}

function service(target: ExistingGatewayTarget, props: ServiceProps = {}): { s: TerraformStack; svc: Service } {
  const s = new TerraformStack(Testing.app(), 'stack');
  const svc = new Service(s, 'pets', { ...props, deployment: target });
  svc.addApi('ping', { path: '=/ping', backend: MockBackend.json({ pong: true }) });
  return { s, svc };
}

describe('ExistingGatewayTarget', () => {
  it('declares the provider, the admin token variable and the apigw_service resource, and nothing of Docker', () => {
    const { s } = service(new ExistingGatewayTarget({ endpoint: 'http://127.0.0.1:9990' }));
    const out = JSON.parse(Testing.synth(s, true)) as Synthed;
    expect(Object.keys(out.resource)).toEqual(['apigw_service']);
    expect(Object.keys(out.terraform.required_providers)).toEqual(['apigw']);
    expect(out.provider).toEqual({
      apigw: [{ alias: 'pets', endpoint: 'http://127.0.0.1:9990', token: '${var.pets_admin_token}' }],
    });
    expect(out.variable.pets_admin_token).toMatchObject({ sensitive: true, type: 'string' });
    const resource = out.resource.apigw_service!.pets!;
    expect(resource).toMatchObject({ provider: 'apigw.pets', api_order: ['ping'], service: { name: 'pets' } });
    expect(resource).not.toHaveProperty('depends_on');
  });

  it('reaches a remote gateway through ssh with its admin port and ssh options', () => {
    const { s } = service(
      new ExistingGatewayTarget({
        endpoint: 'ssh://deploy@gw.example.com:2222',
        sshAdminPort: 9990,
        sshOpts: ['-i', '/keys/deploy'],
      }),
    );
    const out = JSON.parse(Testing.synth(s, true)) as Synthed;
    expect(out.provider.apigw).toEqual([
      {
        alias: 'pets',
        endpoint: 'ssh://deploy@gw.example.com:2222',
        admin_port: 9990,
        ssh_opts: ['-i', '/keys/deploy'],
        token: '${var.pets_admin_token}',
      },
    ]);
  });

  it("leaves the gateway's own environment and files unchecked, and refuses start-bound variables it cannot deliver", () => {
    const s = new TerraformStack(Testing.app(), 'stack');
    const cert = new TerraformVariable(s, 'tls_cert', { type: 'string', sensitive: true });
    const svc = new Service(s, 'pets', {
      https: {
        certificates: [
          { domains: ['a.example'], cert: Secret.fromVariable(cert, 'TLS_CERT'), key: Secret.fromFile('/tls.key') },
        ],
      },
      keyPairs: [{ secretId: 'partner', secretKey: Secret.fromEnv('PARTNER_KEY') }],
      deployment: new ExistingGatewayTarget({ endpoint: 'http://127.0.0.1:9990' }),
    });
    const api = svc.addApi('report', { path: '=/report', auth: Auth.keyPair(), backend: MockBackend.json({}) });
    svc.addUsagePlan({ name: 'partners', keyPairs: ['partner'], apis: [api] });
    expect(synthError(s)).toEqual([
      '[stack/pets] https certificates[0] cert: a Secret.fromVariable is read when the gateway starts, and ExistingGatewayTarget does not start the gateway, so its value can never reach it; give the running gateway the value in its environment or a file (Secret.fromEnv, Secret.fromFile)',
    ]);
  });

  it('refuses an endpoint it cannot use', () => {
    expect(() => new ExistingGatewayTarget({ endpoint: '127.0.0.1:9990' })).toThrow(
      'ExistingGatewayTarget: endpoint must start with http:// or ssh://, got "127.0.0.1:9990"',
    );
    expect(() => new ExistingGatewayTarget({ endpoint: 'ssh://gw.example.com' })).toThrow(
      'ExistingGatewayTarget: sshAdminPort is needed with an ssh:// endpoint',
    );
  });
});
