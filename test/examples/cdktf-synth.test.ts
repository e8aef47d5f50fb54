/** `cdktf synth` (the real CLI, offline) on the quickstart, as cdktf.json configures it. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp';

it('synthesizes the quickstart with the cdktf CLI', () => {
  const root = join(__dirname, '..', '..');
  const out = tempDir('apigw-synth-');
  execFileSync(join(root, 'node_modules', '.bin', 'cdktf'), ['synth', '--output', out], {
    cwd: root,
    env: { ...process.env, CHECKPOINT_DISABLE: '1', CI: 'true' },
    stdio: 'pipe',
  });
  const stack = join(out, 'stacks', 'quickstart');
  const tf = JSON.parse(readFileSync(join(stack, 'cdk.tf.json'), 'utf8')) as {
    resource: {
      docker_image: Record<string, { name: string; build: { context: string } }>;
      docker_container: Record<string, { env: string[] }>;
    };
    variable: Record<string, { sensitive: boolean }>;
  };
  const image = Object.values(tf.resource.docker_image)[0]!;
  expect(image.name).toMatch(/^cdktf-apigw\/petstore:[0-9a-f]{12}$/);
  expect(Object.values(tf.resource.docker_container)[0]!.env).toEqual(['APIGW_KEY_PARTNER=${var.partner_secret_key}']);
  expect(tf.variable.partner_secret_key!.sensitive).toBe(true);
  const config = JSON.parse(readFileSync(join(stack, image.build.context, 'config', 'gateway.json'), 'utf8')) as {
    apis: unknown[];
  };
  expect(config.apis).toHaveLength(8);
}, 120_000);
