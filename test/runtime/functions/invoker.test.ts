/** The shared invoker: versions, code checks at load, remote targets, shutdown. */
import { GatewayError } from '../../../runtime/errors';
import { FunctionInvoker } from '../../../runtime/functions/invoker';
import { startBackend, type Backend } from '../../helpers/servers';
import { bundled, writeCode } from './harness';

let root: string;
let endpoint: Backend;

beforeAll(async () => {
  root = writeCode({
    'functions/hello/$LATEST/index.js': 'exports.main_handler = async (e, c) => ({ v: "latest", c });',
    'functions/hello/1/index.js': 'exports.main_handler = async () => ({ v: "one" });',
    'functions/hello/2/app/main.cjs': 'exports.run = async (e) => ({ v: "two", e });',
  });
  endpoint = await startBackend((req, res) => {
    req.resume();
    req.on('end', () => res.end('{"remote":true}'));
  });
});

afterAll(() => endpoint.close());

describe('function invoker', () => {
  it('GIVEN three versions of one function WHEN each is invoked THEN each runs its own code and gets its context', async () => {
    const inv = new FunctionInvoker({ baseDir: root });
    try {
      const v = (version: string, handler = 'index.main_handler') =>
        bundled(`functions/hello/${version}`, handler, { functionName: 'hello', version, timeoutMs: 1500 });
      expect(await inv.invoke(v('$LATEST'), {}, 'req-1')).toEqual({
        v: 'latest',
        c: {
          request_id: 'req-1',
          namespace: 'default',
          function_name: 'hello',
          function_version: '$LATEST',
          time_limit_in_ms: 1500,
          memory_limit_in_mb: 64,
        },
      });
      expect(await inv.invoke(v('1'), {})).toEqual({ v: 'one' });
      expect(await inv.invoke(v('2', 'app/main.run'), { x: 1 })).toEqual({ v: 'two', e: { x: 1 } });
      expect(inv.workers).toBe(3);
    } finally {
      await inv.close();
    }
    expect(inv.workers).toBe(0);
  });

  it('GIVEN a missing code folder or handler file WHEN registered at load THEN it throws a clear error', () => {
    const inv = new FunctionInvoker({ baseDir: root });
    expect(() => inv.register(bundled('functions/nope', 'index.main_handler'))).toThrow(
      /^function default\/demo\/\$LATEST: code folder .*functions\/nope does not exist$/,
    );
    expect(() => inv.register(bundled('functions/hello/1', 'main.main_handler'))).toThrow(
      'handler file for "main.main_handler" not found',
    );
    return inv.close();
  });

  it('GIVEN missing code WHEN invoked without registering THEN the promise rejects (no throw)', async () => {
    const inv = new FunctionInvoker({ baseDir: root });
    await expect(inv.invoke(bundled('functions/nope', 'index.h'), {})).rejects.toThrow(/does not exist/);
    await inv.close();
  });

  it('GIVEN a remote target and no shared dispatcher WHEN invoked THEN the invoker uses and closes its own', async () => {
    const inv = new FunctionInvoker({ baseDir: root });
    const target = {
      ...bundled('x', 'index.h'),
      source: { type: 'remote' as const, url: endpoint.origin, headers: {} },
    };
    expect(await inv.invoke(target, { a: 1 })).toEqual({ remote: true });
    await inv.close();
  });

  it('GIVEN a closed invoker WHEN invoked THEN 503', async () => {
    const inv = new FunctionInvoker({ baseDir: root });
    const target = bundled('functions/hello/1', 'index.main_handler');
    inv.register(target);
    await inv.close();
    // A closed invoker forgets its pools; a late call on retired config must not start workers for ever.
    const err = await inv.invoke(target, {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(503);
    expect(inv.workers).toBe(0);
  });
});
