/**
 * A small cdktf app for the in-process `apigw dev` tests (test/dev): stack
 * `dev`, service `pets` (live target, HTTP port 18080) whose APIs come from
 * `apis.js` — the file the tests rewrite — and whose service props come from
 * `service.json` (so a test can change the health path or add a secret
 * without rewriting the app). The package is required by name, resolved to
 * this checkout's built `dist/` (see cdktf-app.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCdktfApp } from './cdktf-app';

const MAIN_JS = `const { existsSync, readFileSync } = require('node:fs');
const { App, TerraformStack } = require('cdktf');
const { ExistingGatewayTarget, Secret, Service } = require('cdktf-apigw');
const app = new App();
const stack = new TerraformStack(app, 'dev');
// No service.json: a stack without any Service.
if (existsSync('service.json')) {
  const props = JSON.parse(readFileSync('service.json', 'utf8'));
  const service = new Service(stack, 'pets', {
    httpPort: 18080,
    healthPath: props.healthPath,
    connectionsAdminToken: props.tokenFile ? Secret.fromFile(props.tokenFile) : props.tokenEnv ? Secret.fromEnv(props.tokenEnv) : undefined,
    deployment: new ExistingGatewayTarget({ endpoint: 'http://127.0.0.1:9901' }),
  });
  require('./apis').addApis(service);
}
app.synth();
`;

/** `apis.js` declaring `status` (mock), `chat` (WebSocket to ECHO_ORIGIN) and the `extra` lines. */
export function devApis(extra = ''): string {
  return `const { MockBackend, WebSocketBackend, HttpBackend, Duration } = require('cdktf-apigw');
exports.addApis = (service) => {
  service.addApi('status', { path: '=/status', backend: MockBackend.json({ ok: true }) });
  service.addApi('chat', { protocol: 'websocket', path: '=/chat', backend: new WebSocketBackend({ origin: process.env.ECHO_ORIGIN }) });
${extra}
};
`;
}

/** What `service.json` can set. */
export interface DevServiceProps {
  readonly healthPath?: string;
  /** connectionsAdminToken: Secret.fromFile(tokenFile). */
  readonly tokenFile?: string;
  /** connectionsAdminToken: Secret.fromEnv(tokenEnv). */
  readonly tokenEnv?: string;
}

/** Writes the app into a fresh temp folder; returns the folder. */
export function createDevApp(apisJs = devApis(), props: DevServiceProps | null = {}): string {
  const { dir } = createCdktfApp('dev', MAIN_JS, { 'apis.js': apisJs });
  if (props) writeDevService(dir, props);
  return dir;
}

export function writeDevService(dir: string, props: DevServiceProps): void {
  writeFileSync(join(dir, 'service.json'), JSON.stringify(props));
}
