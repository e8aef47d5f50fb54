/**
 * `cdktf synth --hcl` of a live service: cdktf's HCL renderer does not escape
 * arbitrary strings, so the resource writes its attributes as
 * `jsondecode(...)`. Terraform must plan the HCL output exactly as the JSON
 * output, also for text full of quotes, `${`, `%{`, backslashes, newlines and
 * JSON-looking strings.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing, TerraformStack, TerraformVariable } from 'cdktf';
import { Auth, ExistingGatewayTarget, MockBackend, Secret, Service } from '../../../lib';
import { vendorProvider } from '../../../provider';
import { describeWithTerraform, terraformEnv, terraformOk } from '../../helpers/terraform';
import { tempDir } from '../../helpers/temp';

const TRICKY = 'say "hi" ${not.a.ref} %{if x} \\back\\slash\nline two {"json":1} 42 ü';

function stack(hcl: boolean): string {
  const app = Testing.app();
  const s = new TerraformStack(app, 's');
  const key = new TerraformVariable(s, 'partner_key', { type: 'string', sensitive: true });
  const svc = new Service(s, 'pets', {
    deployment: new ExistingGatewayTarget({ endpoint: 'http://127.0.0.1:9' }),
    keyPairs: [{ secretId: 'partner', secretKey: Secret.fromVariable(key, 'PARTNER_KEY') }],
    stageVariables: { '${weird}': TRICKY },
  });
  svc.addApi('mock', { path: '=/mock', backend: new MockBackend({ body: TRICKY, headers: { 'x-t': '%{x}' } }) });
  svc.addApi('json', { path: '=/json', backend: MockBackend.json({ s: '42', n: 42 }) });
  const signed = svc.addApi('signed', { path: '=/signed', auth: Auth.keyPair(), backend: MockBackend.json({}) });
  svc.addUsagePlan({ name: 'p', keyPairs: ['partner'], apis: [signed] });
  const dir = tempDir('apigw-hcl-');
  if (hcl) {
    writeFileSync(join(dir, 'main.tf'), Testing.synthHcl(s, true) as string);
  } else {
    writeFileSync(join(dir, 'main.tf.json'), Testing.synth(s, true));
  }
  return dir;
}

describeWithTerraform('cdktf synth --hcl of a live service', () => {
  it('plans exactly as the JSON synth', async () => {
    const env = terraformEnv({ TF_VAR_pets_admin_token: 'hcl-test-token-0123456789', TF_VAR_partner_key: 'k' });
    const plans: string[] = [];
    for (const hcl of [false, true]) {
      const dir = stack(hcl);
      // The provider, vendored as synth does (Testing.synth writes no files).
      const vendored = tempDir('apigw-hcl-vendor-');
      vendorProvider(vendored, { codeCache: false });
      cpSync(join(vendored, 'terraform.d'), join(dir, 'terraform.d'), { recursive: true });
      cpSync(join(vendored, '.terraform.lock.hcl'), join(dir, '.terraform.lock.hcl'));
      mkdirSync(join(dir, 'apigw'), { recursive: true });
      await terraformOk(dir, ['init', '-input=false', '-no-color'], env);
      const plan = await terraformOk(dir, ['plan', '-input=false', '-no-color'], env);
      // The plan itself (cdktf's HCL quotes the `provider` meta-argument, which Terraform warns about after it).
      const text = plan.stdout;
      plans.push(text.slice(text.indexOf('Terraform will perform'), text.indexOf('Plan:')));
    }
    expect(plans[1]).toBe(plans[0]);
    expect(plans[0]).toContain('# apigw_service.pets will be created');
    expect(plans[0]).toContain('say "hi" ${not.a.ref} %{if x} \\back\\slash');
    expect(plans[0]).toContain('+ secrets    = (sensitive value)');
    expect(plans[0]).toContain('"${weird}"');
  }, 120_000);
});
