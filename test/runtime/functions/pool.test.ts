/** Worker pools running real handler code from disk. */
import { FunctionThrew, WorkerPool, type PoolOptions } from '../../../runtime/functions/pool';
import { failure, writeCode } from './harness';

const CODE = `
exports.echo = async (event, context) => ({ event, context });
exports.wait = (event) => new Promise((r) => setTimeout(() => r(event.n), event.ms));
exports.thrower = async () => { throw new Error('boom inside'); };
exports.rejectString = () => Promise.reject('plain string');
exports.loop = (event) => { if (event.loop) for (;;) {} return 'served'; };
exports.exit = () => process.exit(3);
exports.asyncCrash = async () => { setTimeout(() => { throw new Error('late'); }, 1); return new Promise(() => {}); };
exports.hog = async () => { const a = []; for (;;) a.push(new Array(1e6).fill(1)); };
exports.unsendable = async () => ({ fn: () => 1 });
exports.env = async () => ({ secret: process.env.APIGW_TEST_SECRET ?? null, keys: Object.keys(process.env).sort() });
exports.callback = (event, context, cb) => { setTimeout(() => cb(null, { via: 'callback', n: event.n }), 1); };
exports.callbackError = (event, context, cb) => cb(new Error('cb failed'));
exports.notAFunction = 42;
`;

let root: string;
const pools: WorkerPool[] = [];

function pool(handler: string, extra: Partial<PoolOptions> = {}): WorkerPool {
  const p = new WorkerPool({
    dir: `${root}/fn`,
    handler,
    memoryMb: 64,
    timeoutMs: 2000,
    size: 2,
    maxQueue: 100,
    label: 'default/demo/$LATEST',
    ...extra,
  });
  pools.push(p);
  return p;
}

beforeAll(() => {
  root = writeCode({
    'fn/index.js': CODE,
    'esm/index.mjs': 'export const main_handler = async (event) => ({ esm: true, got: event.x });',
    'broken/index.js': 'this is not javascript (',
  });
  process.env.APIGW_TEST_SECRET = 'do-not-leak';
});

afterAll(async () => {
  delete process.env.APIGW_TEST_SECRET;
  await Promise.all(pools.map((p) => p.close()));
});

describe('worker pool', () => {
  it('GIVEN an async handler WHEN invoked THEN it receives the event and context and returns its value', async () => {
    const result = await pool('index.echo').invoke({ a: 1 }, { request_id: 'r1' });
    expect(result).toEqual({ event: { a: 1 }, context: { request_id: 'r1' } });
  });

  it('GIVEN callback-style handlers WHEN invoked THEN the callback value or error is the result', async () => {
    expect(await pool('index.callback').invoke({ n: 4 }, {})).toEqual({ via: 'callback', n: 4 });
    const err = await failure(pool('index.callbackError').invoke({}, {}));
    expect(err).toBeInstanceOf(FunctionThrew);
    expect((err as FunctionThrew).thrown.message).toBe('cb failed');
  });

  it('GIVEN an ES module handler WHEN invoked THEN it is loaded with import()', async () => {
    const p = pool('index.main_handler', { dir: `${root}/esm` });
    expect(await p.invoke({ x: 'y' }, {})).toEqual({ esm: true, got: 'y' });
  });

  it('GIVEN a handler that throws WHEN invoked THEN FunctionError carries the message and stack for debug', async () => {
    const err = await failure(pool('index.thrower').invoke({}, {}));
    expect(err.def.code).toBe('FunctionError');
    expect(err.message).toBe('the function failed');
    const { thrown: f } = err as FunctionThrew;
    expect(f.message).toBe('boom inside');
    expect(f.stack).toContain('index.js');
  });

  it('GIVEN a promise rejected with a non-Error WHEN invoked THEN it is a FunctionError with that value', async () => {
    const err = (await failure(pool('index.rejectString').invoke({}, {}))) as FunctionThrew;
    expect(err.def.code).toBe('FunctionError');
    expect(err.thrown.message).toBe('plain string');
  });

  it('GIVEN code that does not load or an export that is not a function WHEN invoked THEN FunctionError says why', async () => {
    const syntax = (await failure(pool('index.x', { dir: `${root}/broken` }).invoke({}, {}))) as FunctionThrew;
    expect(syntax.thrown.message).toMatch(/Unexpected|SyntaxError|missing/i);
    const notFn = (await failure(pool('index.notAFunction').invoke({}, {}))) as FunctionThrew;
    expect(notFn.thrown.message).toBe('handler "index.notAFunction" is not a function');
    // What the event log says (never the client).
    expect(syntax.failure?.cause).toBe('load_failed');
    expect(notFn.failure).toEqual({ cause: 'handler_not_found', detail: notFn.thrown.message });
  });

  it('GIVEN a return value that cannot cross threads WHEN invoked THEN FunctionError says so', async () => {
    const err = (await failure(pool('index.unsendable').invoke({}, {}))) as FunctionThrew;
    expect(err.thrown.message).toMatch(/cannot be sent to the gateway/);
  });

  it("GIVEN the gateway's environment holds secrets WHEN a function reads process.env THEN it sees none of it", async () => {
    const result = (await pool('index.env').invoke({}, {})) as { secret: unknown; keys: string[] };
    expect(result.secret).toBeNull();
    expect(result.keys).toEqual(['NODE_ENV', 'TZ']);
  });

  it('GIVEN an infinite loop WHEN the time limit passes THEN FunctionTimeout, the worker is replaced and the next call works', async () => {
    const p = pool('index.loop', { timeoutMs: 300, size: 1 });
    const err = await failure(p.invoke({ loop: true }, {}));
    expect(err.def.code).toBe('FunctionTimeout');
    expect(err.status).toBe(504);
    expect(err.message).toBe('the function did not finish within 300 ms');
    expect(p.workers).toBe(0);
    expect(await p.invoke({ loop: false }, {})).toBe('served');
    expect(p.workers).toBe(1);
  });

  it('GIVEN the only worker busy past the time limit WHEN more calls queue behind it THEN they time out too and later calls are served', async () => {
    const p = pool('index.wait', { timeoutMs: 300, size: 1 });
    const stuck = failure(p.invoke({ n: 0, ms: 60_000 }, {}));
    const queued = failure(p.invoke({ n: 1, ms: 1 }, {}));
    expect(p.queued).toBe(1);
    expect((await stuck).def.code).toBe('FunctionTimeout');
    expect((await queued).def.code).toBe('FunctionTimeout');
    expect(await p.invoke({ n: 2, ms: 1 }, {})).toBe(2);
  });

  it('GIVEN process.exit or an uncaught error in a function WHEN invoked THEN FunctionError and the pool recovers', async () => {
    const exit = pool('index.exit', { size: 1 });
    const e1 = await failure(exit.invoke({}, {}));
    expect([e1.def.code, e1.message]).toEqual(['FunctionError', 'the function exited']);
    expect(exit.workers).toBe(0);
    const crash = pool('index.asyncCrash', { size: 1 });
    const e2 = await failure(crash.invoke({}, {}));
    expect([e2.def.code, e2.message]).toEqual(['FunctionError', 'the function crashed']);
    expect(await pool('index.echo', { size: 1 }).invoke(1, 2)).toEqual({ event: 1, context: 2 });
  });

  it('GIVEN a function that allocates without bound WHEN invoked THEN it stops at memoryMb with FunctionError', async () => {
    const p = pool('index.hog', { memoryMb: 32, timeoutMs: 20_000, size: 1 });
    const err = await failure(p.invoke({}, {}));
    expect([err.def.code, err.message]).toEqual(['FunctionError', 'the function ran out of memory']);
    expect(p.workers).toBe(0);
    expect(process.memoryUsage().heapUsed).toBeLessThan(1024 * 1024 * 1024);
  });

  it('GIVEN more calls than workers WHEN invoked together THEN at most `size` workers run, the rest queue, all finish', async () => {
    const p = pool('index.wait', { size: 2 });
    const calls = Array.from({ length: 6 }, (_, n) => p.invoke({ n, ms: 20 }, {}));
    expect(p.workers).toBe(2);
    expect(p.queued).toBe(4);
    expect(await Promise.all(calls)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(p.workers).toBe(2);
    expect(p.queued).toBe(0);
  });

  it('GIVEN a full queue WHEN another call comes THEN it is refused with 503 at once', async () => {
    const p = pool('index.wait', { size: 1, maxQueue: 1 });
    const running = p.invoke({ n: 0, ms: 50 }, {});
    const waiting = p.invoke({ n: 1, ms: 1 }, {});
    const err = await failure(p.invoke({ n: 2, ms: 1 }, {}));
    expect([err.status, err.message]).toEqual([503, 'the function is saturated; retry later']);
    expect(await Promise.all([running, waiting])).toEqual([0, 1]);
  });

  it('GIVEN calls in flight WHEN the pool closes THEN they are refused with 503 and no worker is left', async () => {
    const p = pool('index.wait', { size: 1 });
    const inFlight = failure(p.invoke({ n: 0, ms: 60_000 }, {}));
    const queued = failure(p.invoke({ n: 1, ms: 1 }, {}));
    await p.close();
    expect((await inFlight).status).toBe(503);
    expect((await queued).status).toBe(503);
    expect(p.workers).toBe(0);
    expect((await failure(p.invoke({}, {}))).status).toBe(503);
  });
});
