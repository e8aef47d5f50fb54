/**
 * The ssh:// endpoint: the admin listener stays on the remote host's
 * loopback and the provider reaches it through `ssh -W` (OpenSSH stdio
 * forwarding), as the docker provider reaches a remote engine. Here the
 * "remote host" is a real sshd on 127.0.0.1.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { AdminClient } from '../../provider/admin-client';
import { sshArguments } from '../../provider/ssh-socket';
import { vendorProvider } from '../../provider/vendor';
import { gatewayConfig } from '../helpers/config';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process';
import { describeWithSshd, startSshd, type Sshd } from '../helpers/sshd';
import { describeWithTerraform, terraformEnv, terraformOk } from '../helpers/terraform';
import { tempDir } from '../helpers/temp';

const TOKEN = 'ssh-admin-token-0123456789abcdef';

describe('ssh endpoint arguments', () => {
  it('passes the host after "--", so nothing in it is read as an ssh option', () => {
    expect(sshArguments({ host: 'gw.example', port: 2222, user: 'deploy', adminPort: 9990 })).toEqual([
      '-o',
      'BatchMode=yes',
      '-p',
      '2222',
      '-l',
      'deploy',
      '-W',
      '127.0.0.1:9990',
      '--',
      'gw.example',
    ]);
  });

  it('refuses host and user names ssh could take as options, and a missing admin port', () => {
    const client = (endpoint: string, adminPort?: number): AdminClient =>
      new AdminClient({ endpoint, token: 't', timeoutMs: 1000, ...(adminPort ? { adminPort } : {}) });
    expect(() => client('ssh://-oProxyCommand=x/', 1)).toThrow(/not a host name/);
    expect(() => client('ssh://-oProxyCommand=sh@host', 1)).toThrow(/not a user name/);
    expect(() => client('ssh://host')).toThrow(/needs admin_port/);
    expect(() => client('ftp://host')).toThrow(/use http:\/\/host:port or ssh:\/\//);
  });
});

describeWithSshd('the admin API through ssh -W', () => {
  let sshd: Sshd;
  let gw: GatewayProcess;

  beforeAll(async () => {
    sshd = await startSshd();
    gw = await startGatewayProcess(gatewayConfig([], { name: 'pets', id: 'service-pets' }), TOKEN);
  });
  afterAll(async () => {
    await gw?.stop();
    await sshd?.stop();
  });

  it('reads the config over the tunnel, reusing one ssh connection for several requests', async () => {
    const client = new AdminClient({
      endpoint: `ssh://${sshd.user}@127.0.0.1:${sshd.port}`,
      token: TOKEN,
      timeoutMs: 10_000,
      adminPort: gw.adminPort,
      sshOptions: sshd.clientOptions,
    });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await client.getConfig();
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ source: 'started', config: { service: { name: 'pets' } } });
      }
      expect(await client.hasBundle('0'.repeat(64))).toBe(false);
      expect(sshd.log().match(/Accepted publickey/g)).toHaveLength(1);
    } finally {
      client.close();
    }
  });

  it("reports ssh's own error when the tunnel cannot be made", async () => {
    const client = new AdminClient({
      endpoint: `ssh://nobody-here@127.0.0.1:${sshd.port}`,
      token: TOKEN,
      timeoutMs: 10_000,
      adminPort: gw.adminPort,
      sshOptions: sshd.clientOptions,
    });
    try {
      await expect(client.getConfig()).rejects.toThrow(
        /cannot reach the gateway's admin API at ssh:.*ssh exited with 255: .*Permission denied/s,
      );
    } finally {
      client.close();
    }
  });

  describeWithTerraform('terraform through the tunnel', () => {
    it('applies with endpoint = "ssh://…", admin_port and ssh_opts', async () => {
      const dir = tempDir('apigw-tf-ssh-');
      vendorProvider(dir);
      writeFileSync(
        join(dir, 'main.tf'),
        `
terraform {
  required_providers {
    apigw = { source = "cdktf-apigw.dev/cdktf-apigw/apigw" }
  }
}
provider "apigw" {
  endpoint   = "ssh://${sshd.user}@127.0.0.1:${sshd.port}"
  admin_port = ${gw.adminPort}
  ssh_opts   = ${JSON.stringify(sshd.clientOptions)}
  token      = "${TOKEN}"
}
resource "apigw_service" "pets" {
  service = { name = "pets", id = "service-pets" }
  apis = {
    hello = {
      frontend = { raw_path = "=/hello" }
      backend  = { type = "mock", mock = { body = "through ssh" } }
    }
  }
}
`,
      );
      const env = terraformEnv();
      await terraformOk(dir, ['init', '-input=false', '-no-color'], env);
      await terraformOk(dir, ['apply', '-input=false', '-no-color', '-auto-approve'], env);
      const res = await request(`${gw.base}/hello`);
      expect(await res.body.text()).toBe('through ssh');
      const plan = await terraformOk(dir, ['plan', '-input=false', '-no-color', '-detailed-exitcode'], env);
      expect(plan.stdout).toContain('No changes.');
      await terraformOk(dir, ['destroy', '-input=false', '-no-color', '-auto-approve'], env);
    });
  });
});
