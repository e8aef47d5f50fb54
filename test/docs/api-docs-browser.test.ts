/**
 * `apigw docs` as a reader sees it: the generated page opened from a file://
 * URL in headless Chromium finds every API (with its route and match mode)
 * and its samples, the authentication examples and the error codes, with no
 * console error and no request leaving the page's own file. Screenshots of
 * each section are written for review (the path is printed).
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, TerraformStack, TerraformVariable } from 'cdktf';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import type { BrowserContext, Page } from 'playwright-core';
import { ApiPath, Auth, HttpBackend, MockBackend, Secret, Service, WebSocketBackend } from '../../lib';
import { validateConfig, type GatewayConfig } from '../../model';
import { DOC_TAGS } from '../../review/docs';
import { describeWithChromium, launchChromium, screenshotDir } from '../helpers/chromium';
import { apigwBin } from '../helpers/processes';
import { tempDir } from '../helpers/temp';

/** Every kind of route, parameters of each kind, both kinds of authentication, samples and error codes. */
function petstore(): GatewayConfig {
  const stack = new TerraformStack(new App(), 'docs');
  new DockerProvider(stack, 'docker', {});
  const key = new TerraformVariable(stack, 'partner_key', { type: 'string', sensitive: true });
  const service = new Service(stack, 'petstore', {
    description: 'Pets, orders and a chat.',
    keyPairs: [{ secretId: 'partner', secretKey: Secret.fromVariable(key, 'PARTNER_KEY') }],
  });
  const pets = new HttpBackend({ origin: 'https://pets.internal' });
  service.addApi('getPet', {
    path: '/pets/{petId}',
    parameters: [
      { name: 'petId', in: 'path', type: 'int', sample: '42', description: 'the pet to fetch' },
      { name: 'verbose', in: 'query', type: 'boolean', default: 'false', description: 'include the history' },
      { name: 'x-tenant', in: 'header', type: 'string', required: true, sample: 'acme' },
    ],
    backend: pets,
    response: {
      successSample: '{"id":42,"name":"Rex"}',
      failureSample: '{"error":"PetNotFound"}',
      errorCodes: [{ code: 'PetNotFound', message: 'no such pet', description: 'the id is unknown' }],
    },
  });
  service.addApi('status', {
    path: '=/status',
    backend: MockBackend.json({ ok: true }),
    response: { successSample: '{"ok":true}' },
  });
  service.addApi('home', { path: ApiPath.plain('/'), method: 'ANY', backend: pets });
  service.addApi('assets', {
    path: ApiPath.prefix('/static/'),
    backend: pets,
    response: { successSample: '"body { color: teal }"' },
  });
  service.addApi('orderByNumber', {
    path: ApiPath.regex('^/orders/(?<number>[0-9]{1,10})$'),
    method: 'POST',
    parameters: [{ name: 'number', in: 'path', type: 'long' }],
    backend: pets,
    response: { successSample: '{"order":"placed"}', failureSample: '{"order":"refused"}' },
  });
  const report = service.addApi('report', {
    path: '=/partner/report',
    auth: Auth.keyPair(),
    backend: MockBackend.json({ report: 1 }),
    response: { successSample: '{"report":"monthly"}' },
  });
  service.addUsagePlan({ name: 'partners', keyPairs: ['partner'], apis: [report] });
  service.addApi('me', {
    path: '=/me',
    auth: Auth.oauth2({
      publicKeyPem: readFileSync(join(__dirname, '../../examples/pets-testing/token-public.pem'), 'utf8'),
      issuer: 'https://login.example.com/',
      audience: ['pets'],
    }),
    backend: pets,
    response: { successSample: '{"sub":"user-7"}' },
  });
  service.addApi('chat', {
    protocol: 'websocket',
    path: '=/chat',
    backend: new WebSocketBackend({ origin: 'wss://chat.internal' }),
  });
  const result = validateConfig(service.toConfig());
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

/** What a reader must find for each API: its name, route as written and samples. */
const expectations: Record<string, { tag: string; route: string; match: string; samples: string[] }> = {
  getPet: {
    tag: DOC_TAGS.http,
    route: '/pets/{petId} (GET)',
    match: 'path template',
    samples: ['"name": "Rex"', '"error": "PetNotFound"'],
  },
  status: { tag: DOC_TAGS.http, route: '=/status (GET)', match: 'exact match', samples: ['"ok": true'] },
  home: { tag: DOC_TAGS.http, route: '/ (ANY)', match: 'every path that starts with /', samples: [] },
  report: {
    tag: DOC_TAGS.http,
    route: '=/partner/report (GET)',
    match: 'exact match',
    samples: ['"report": "monthly"'],
  },
  me: { tag: DOC_TAGS.http, route: '=/me (GET)', match: 'exact match', samples: ['"sub": "user-7"'] },
  assets: { tag: DOC_TAGS.prefix, route: '^~/static/ (GET)', match: 'prefix match', samples: ['body { color: teal }'] },
  orderByNumber: {
    tag: DOC_TAGS.regex,
    route: '~^/orders/(?<number>[0-9]{1,10})$ (POST)',
    match: 'regular expression',
    samples: ['"order": "placed"', '"order": "refused"'],
  },
  chat: { tag: DOC_TAGS.websocket, route: '=/chat (GET)', match: 'WebSocket', samples: [] },
};

describeWithChromium('apigw docs in a browser', () => {
  let browser: BrowserContext;
  let page: Page;
  let url: string;
  const consoleErrors: string[] = [];
  const outside: string[] = [];
  const shots = screenshotDir('apigw-docs-screenshots');

  beforeAll(async () => {
    const work = tempDir('apigw-docs-');
    const config = petstore();
    expect(config.apis.map((a) => a.name).sort()).toEqual(Object.keys(expectations).sort());
    writeFileSync(join(work, 'petstore.json'), JSON.stringify(config));
    execFileSync(process.execPath, [apigwBin, 'docs', join(work, 'petstore.json'), '--out', join(work, 'site')], {
      encoding: 'utf8',
    });
    url = pathToFileURL(join(work, 'site', 'petstore', 'index.html')).href;
    mkdirSync(shots, { recursive: true });
    process.stdout.write(`apigw docs screenshots: ${shots}\n`);
    browser = await launchChromium(work);
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.on('request', (r) => {
      const u = new URL(r.url());
      const local = ['file:', 'data:', 'blob:'].includes(u.protocol) || u.hostname === '127.0.0.1';
      if (!local) outside.push(r.url());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  /**
   * Opens a section (`#/http-apis`) and returns its text, read while scrolling through it as a reader
   * would (Redoc renders operations as they come into view).
   */
  async function open(section: string, shot: string): Promise<string> {
    await page.goto(`${url}${section}`);
    await page.waitForSelector('text=Error codes');
    // Evaluated in the page (strings: the page's DOM types are not this project's).
    let text = '';
    for (let y = 0, height = 1; y < height; y += 800) {
      height = (await page.evaluate(`window.scrollTo(0, ${y}); document.documentElement.scrollHeight`)) as number;
      await page.waitForTimeout(150);
      text += (await page.evaluate('document.body.innerText')) as string;
    }
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(shots, `${shot}.png`), fullPage: true });
    return text;
  }

  it('opens with the service, authentication (with a worked signed request) and the error codes', async () => {
    const text = await open('', 'overview');
    expect(text).toContain('Pets, orders and a chat.');
    expect(text).toContain('Key pairs (signed requests)');
    expect(text).toContain('OAuth 2.0 (bearer tokens)');
    expect(text).toContain('Authorization: Bearer');
    // The worked example is right: the signature shown is the HMAC of the string to sign shown.
    const signed = /\(request-target\): get \/partner\/report\nx-date: ([^\n]+)/.exec(text);
    expect(signed).not.toBeNull();
    const signature = /signature="([^"]+)"/.exec(text)?.[1];
    const expected = createHmac('sha256', 'example-secret').update(signed![0]).digest('base64');
    expect(signature).toBe(expected);
    for (const code of ['Unauthorized', 'RouteNotFound', 'GatewayTimeout', 'PetNotFound']) expect(text).toContain(code);
  });

  it.each(Object.values(DOC_TAGS))('lists every API of "%s" with its route, match mode and samples', async (tag) => {
    const slug = tag.toLowerCase().replace(/ /g, '-');
    const text = await open(`#/${slug}`, slug);
    const apis = Object.entries(expectations).filter(([, e]) => e.tag === tag);
    expect(apis.length).toBeGreaterThan(0);
    for (const [name, e] of apis) {
      expect(text).toContain(name);
      // The route as written, its method and how it matches.
      expect(text).toContain(`Route ${e.route}`);
      expect(text).toContain(e.match);
      for (const sample of e.samples) expect(text).toContain(sample);
    }
    if (tag === DOC_TAGS.http) {
      // Parameters with type, required, default, sample and description.
      for (const s of ['petId', 'the pet to fetch', 'verbose', 'include the history', 'x-tenant', 'acme', 'required']) {
        expect(text).toContain(s);
      }
    }
  });

  it('logged no console error and made no request beyond the file', () => {
    expect(consoleErrors).toEqual([]);
    expect(outside).toEqual([]);
  });
});
