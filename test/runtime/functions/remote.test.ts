/** Remote invocation against a real function endpoint on loopback. */
import { createServer } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import type { RemoteFunctionSource } from '../../../model';
import { invokeRemote } from '../../../runtime/functions/remote';
import { startBackend, type Backend } from '../../helpers/servers';
import { failure } from './harness';

interface Seen {
  readonly url: string | undefined;
  readonly method: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

let endpoint: Backend;
let agent: Agent;
const seen: Seen[] = [];
let aborted = 0;

beforeAll(async () => {
  agent = new Agent();
  endpoint = await startBackend((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        url: req.url,
        method: req.method,
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString()),
      });
      switch (req.url) {
        case '/ok':
          res.writeHead(200, { 'content-type': 'application/json' });
          return void res.end(JSON.stringify({ statusCode: 200, body: 'from remote' }));
        case '/empty':
          return void res.end();
        case '/text':
          return void res.end('not json');
        case '/error':
          res.writeHead(500);
          return void res.end('{"errorMessage":"secret"}');
        case '/slow': {
          const t = setTimeout(() => res.end('{}'), 5_000);
          res.on('close', () => {
            clearTimeout(t);
            if (!res.writableEnded) aborted++;
          });
        }
      }
    });
  });
});

afterAll(async () => {
  await endpoint.close();
  await agent.close();
});

const source = (path: string, headers: Record<string, string> = {}): RemoteFunctionSource => ({
  type: 'remote',
  url: endpoint.origin + path,
  headers,
});

describe('remote functions', () => {
  it('GIVEN an endpoint WHEN invoked THEN the event is POSTed as JSON with the configured headers and the JSON result returned', async () => {
    const result = await invokeRemote(agent, source('/ok', { 'x-fn-key': 'k1' }), 1000, { path: '/a', n: 1 });
    expect(result).toEqual({ statusCode: 200, body: 'from remote' });
    const last = seen.at(-1) as Seen;
    expect(last).toMatchObject({ url: '/ok', method: 'POST', body: { path: '/a', n: 1 } });
    expect(last.headers).toMatchObject({ 'content-type': 'application/json', 'x-fn-key': 'k1' });
  });

  it('GIVEN an empty 200 answer WHEN invoked THEN the result is null', async () => {
    expect(await invokeRemote(agent, source('/empty'), 1000, {})).toBeNull();
  });

  it('GIVEN an answer that is not JSON WHEN invoked THEN 502 FunctionBadResponse', async () => {
    const err = await failure(invokeRemote(agent, source('/text'), 1000, {}));
    expect([err.status, err.def.code]).toEqual([502, 'FunctionBadResponse']);
  });

  it('GIVEN a non-2xx answer WHEN invoked THEN 502 FunctionError naming the status, not the body', async () => {
    const err = await failure(invokeRemote(agent, source('/error'), 1000, {}));
    expect([err.status, err.def.code, err.message]).toEqual([
      502,
      'FunctionError',
      'the function endpoint answered 500',
    ]);
  });

  it('GIVEN a slow endpoint WHEN the time limit passes THEN 504 FunctionTimeout and the request is aborted', async () => {
    const before = aborted;
    const err = await failure(invokeRemote(agent, source('/slow'), 300, {}));
    expect([err.status, err.def.code, err.message]).toEqual([
      504,
      'FunctionTimeout',
      'the function did not finish within 300 ms',
    ]);
    await new Promise<void>((r) => {
      const poll = (): void => void (aborted > before ? r() : setTimeout(poll, 10));
      poll();
    });
    expect(aborted).toBe(before + 1);
  });

  it('GIVEN nothing listens WHEN invoked THEN 502 FunctionError', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const err = await failure(
      invokeRemote(agent, { type: 'remote', url: `http://127.0.0.1:${port}/`, headers: {} }, 1000, {}),
    );
    expect([err.status, err.def.code, err.message]).toEqual([
      502,
      'FunctionError',
      'the function endpoint could not be reached',
    ]);
  });
});
