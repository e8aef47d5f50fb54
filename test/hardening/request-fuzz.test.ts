/**
 * Structure-aware fuzzing of plain HTTP requests (bench/request-fuzz.js)
 * against a running gateway with every kind of API the request path serves
 * (bench/request-fuzz-world.js): a mock, an HTTP backend API and a `/pets/{id}`
 * API with typed path, header and query parameters on a real echo server, a
 * regex and a prefix route, key-pair authentication with a rate-limited usage
 * plan, OAuth 2.0 with an inline JWKS, CORS, a body schema, IP lists, a
 * per-API rate limit and a bundled function. A fixed seed and a bounded count
 * run here; `npm run fuzz:requests` runs any count against the built gateway.
 *
 * Asserted: every answer is a backend's deliberate one or a documented
 * gateway answer with the JSON error body (no 5xx but the mock's deliberate
 * 503), every request due an answer got one, the echo backend never received
 * what the gateway must not forward, the gateway keeps serving, and afterwards
 * no socket of the process and no backend connection is left open.
 */
import { classify, fuzz, generate, prng, type Catalogue, type FuzzCase } from '../../bench/request-fuzz';
import {
  createIssuer,
  ENV,
  HEALTH_PATH,
  startEchoBackend,
  warmUp,
  worldConfig,
  writeFunctionCode,
  type EchoBackend,
  type Issuer,
} from '../../bench/request-fuzz-world';
import { Errors } from '../../runtime/errors';
import { startGateway, type RunningGateway } from '../helpers/servers';
import { tempDir } from '../helpers/temp';
import { eventually, openSockets, send } from './raw';

const SEED = 20260516;
const COUNT = Number(process.env.APIGW_FUZZ_COUNT ?? 2000);

let echo: EchoBackend;
let issuer: Issuer;
let gw: RunningGateway;

beforeAll(async () => {
  echo = await startEchoBackend();
  issuer = createIssuer();
  const dir = tempDir('apigw-request-fuzz-');
  writeFunctionCode(dir);
  gw = await startGateway(worldConfig({ echoOrigin: echo.origin, jwks: issuer.jwks }), ENV, dir);
  await warmUp(gw.port);
});

afterAll(async () => {
  await gw.close();
  await echo.close();
});

it(`${COUNT} fuzzed requests (seed ${SEED}): documented answers, no 5xx, nothing forwarded that must not be, nothing left open`, async () => {
  const socketsBefore = openSockets();
  const report = await fuzz({ port: gw.port, seed: SEED, count: COUNT, issuer, catalogue: Errors });
  expect(report.failures).toEqual([]);
  expect(echo.violations).toEqual([]);
  // The mock's 503 is its deliberate answer; any other 5xx would be the gateway failing.
  expect(Object.keys(report.outcomes).filter((k) => /^5/.test(k) && k !== '503 (mock)')).toEqual([]);
  // The run reached every kind of answer.
  expect(Object.keys(report.outcomes)).toEqual(
    expect.arrayContaining([
      '200 (mock)',
      '503 (mock)',
      '200 (echo)',
      '200 (function)',
      '200 (health)',
      '204 (preflight)',
      '400 BadRequest',
      '400 InvalidParameter',
      '400 InvalidBody',
      '401 Unauthorized',
      '403 Forbidden',
      '403 IpDenied',
      '404 RouteNotFound',
      '405 MethodNotAllowed',
      '408 RequestTimeout',
      '413 PayloadTooLarge',
      '414 UriTooLong',
      '415 UnsupportedMediaType',
      '417 ExpectationFailed',
      '429 ApiRateLimited',
      '429 RateLimited',
      '431 HeadersTooLarge',
      '(client left)',
    ]),
  );
  expect((await send(gw.port, `GET ${HEALTH_PATH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).status).toBe(200);
  await eventually(() => echo.connections() === 0, 'the backend connections to close', 10_000);
  await eventually(
    () => openSockets() <= socketsBefore,
    `open sockets back to ${socketsBefore} (now ${openSockets()})`,
    10_000,
  );
});

describe('the classifier', () => {
  // A case to judge answers against: a GET that waits for one answer.
  const kase = (): FuzzCase => ({ ...generate(prng(1), issuer), action: 'read', isHead: false, asksContinue: false });
  const catalogue: Catalogue = Errors;
  const error = (status: number, code: string, extra = ''): string => {
    const body = JSON.stringify({ code, message: 'm', requestId: 'r' });
    return `HTTP/1.1 ${status} X\r\ncontent-type: application/json\r\nx-api-requestid: r\r\n${extra}content-length: ${body.length}\r\n\r\n${body}`;
  };

  it.each([
    ['a documented error', true, error(404, 'RouteNotFound'), 'answered'],
    ["Node's bare 400", false, 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n', 'closed'],
    ['a bare 417', false, 'HTTP/1.1 417 Expectation Failed\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'answered'],
    ['a code with another status', false, error(400, 'RouteNotFound'), 'answered'],
    ['an unknown code', false, error(418, 'Teapot'), 'answered'],
    ['a gateway 500', false, error(500, 'InternalError'), 'answered'],
    ['a gateway 502', false, error(502, 'BadGateway'), 'answered'],
    ["the mock's 503", true, 'HTTP/1.1 503 X\r\nx-fuzz-backend: mock\r\ncontent-length: 0\r\n\r\n', 'answered'],
    [
      'a 418 from the echo backend',
      false,
      'HTTP/1.1 418 X\r\nx-fuzz-backend: echo\r\ncontent-length: 0\r\n\r\n',
      'answered',
    ],
    ['no answer', false, '', 'closed'],
    ['no answer in time', false, '', 'timeout'],
    ['a cut answer', false, error(404, 'RouteNotFound').slice(0, -5), 'closed'],
    ['bytes after the answer', false, `${error(404, 'RouteNotFound')}junk`, 'answered'],
    ['an unasked-for 100', false, `HTTP/1.1 100 Continue\r\n\r\n${error(404, 'RouteNotFound')}`, 'answered'],
  ] as const)('%s: ok is %s', (_name, ok, text, ended) => {
    expect(classify(text, kase(), catalogue, ended).ok).toBe(ok);
  });

  it('lets a vanished client go unanswered', () => {
    expect(classify('', { ...kase(), action: 'vanish' }, catalogue, 'left').ok).toBe(true);
  });
});
