/** `cdktf synth` (the real CLI, offline) on the quickstart, as cdktf.json configures it. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayConfig } from '../../model';
import { tempDir } from '../helpers/temp';

it('synthesizes the quickstart with the cdktf CLI: the start image, the container and the live API config', () => {
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
      apigw_service: Record<string, { secrets: Record<string, string>; api_order: string[] }>;
    };
    variable: Record<string, { sensitive: boolean }>;
  };
  const image = Object.values(tf.resource.docker_image)[0]!;
  expect(image.name).toMatch(/^cdktf-apigw\/petstore:[0-9a-f]{12}$/);
  expect(Object.values(tf.resource.docker_container)[0]!.env).toEqual([
    'APIGW_ADMIN_TOKEN=${var.petstore_admin_token}',
  ]);
  const service = tf.resource.apigw_service.petstore!;
  expect(service.secrets).toEqual({ APIGW_KEY_PARTNER: '${var.partner_secret_key}' });
  expect(service.api_order).toHaveLength(8);
  expect(tf.variable.partner_secret_key!.sensitive).toBe(true);
  expect(tf.variable.petstore_admin_token!.sensitive).toBe(true);
  // The image holds the start config only; the whole config is written for review.
  const start = JSON.parse(
    readFileSync(join(stack, image.build.context, 'config', 'gateway.json'), 'utf8'),
  ) as GatewayConfig;
  expect(start.apis).toEqual([]);
  const review = JSON.parse(readFileSync(join(stack, 'apigw', 'petstore.json'), 'utf8')) as GatewayConfig;
  expect(review.apis).toHaveLength(8);
  expect(existsSync(join(stack, 'apigw', 'petstore', 'functions', 'default', 'hello', '$LATEST', 'index.js'))).toBe(
    true,
  );
  expect(readFileSync(join(stack, '.terraform.lock.hcl'), 'utf8')).toContain(
    'provider "cdktf-apigw.dev/cdktf-apigw/apigw"',
  );
}, 120_000);
