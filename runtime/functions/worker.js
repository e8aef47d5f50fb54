// Runs one function's handler inside a worker thread, one invocation at a time.
// Plain CommonJS with only node: built-ins: it is copied next to the bundled gateway.
//
// Protocol: the pool posts { id, event, context }; the worker answers
// { id, ok: true, result } or { id, ok: false, error: { message, stack, code?, load? } } (`load` when the
// handler could not be loaded: handler_not_found, module_not_found or load_failed; `code` the thrown error's).
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { existsSync } = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const dot = workerData.handler.lastIndexOf('.');
const file = path.resolve(workerData.dir, workerData.handler.slice(0, dot));
const exportName = workerData.handler.slice(dot + 1);

// CommonJS first (the common case); ES modules (`.mjs`, or `"type": "module"`) through import().
async function loadModule() {
  let resolved;
  try {
    resolved = require.resolve(file);
  } catch (err) {
    // Node's resolver does not try .cjs or .mjs; the handler names the file without extension.
    resolved = ['.cjs', '.mjs'].map((ext) => file + ext).find((f) => existsSync(f));
    if (!resolved || !err || err.code !== 'MODULE_NOT_FOUND') throw err;
  }
  if (resolved.endsWith('.mjs')) return import(pathToFileURL(resolved).href);
  try {
    return require(resolved);
  } catch (err) {
    if (err && err.code === 'ERR_REQUIRE_ESM') return import(pathToFileURL(resolved).href);
    throw err;
  }
}

// Probe mode (synth): load the module exactly as the gateway does, report its function exports once,
// then idle. The constructs wait on `signal` synchronously and read the answer from `port`.
const probe = workerData.probe;
let probeAnswered = false;
function answerProbe(reply) {
  if (probeAnswered) return;
  probeAnswered = true;
  probe.port.postMessage(reply);
  const flag = new Int32Array(probe.signal);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
// Set up before loading: a module calling process.exit() while it loads would leave the caller waiting.
if (probe)
  process.on('exit', (code) => answerProbe({ ok: false, code: 'EXIT', message: `it called process.exit(${code})` }));

const moduleReady = loadModule();
const handlerReady = moduleReady.then((mod) => {
  const fn = mod[exportName];
  if (typeof fn !== 'function') {
    const err = new Error(`handler "${workerData.handler}" is not a function`);
    err.code = 'HANDLER_NOT_FOUND';
    throw err;
  }
  return fn;
});

// Why the handler could not be loaded, for the gateway's log (`FunctionFailure.load`).
function loadFailure(err) {
  const code = err && err.code;
  if (code === 'HANDLER_NOT_FOUND') return 'handler_not_found';
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return 'module_not_found';
  return 'load_failed';
}
// The load error is reported by each invocation; this keeps it from being an unhandled rejection.
handlerReady.catch(() => {});

if (probe) {
  moduleReady.then(
    (mod) => {
      const functions = [];
      for (const key of Object.keys(mod)) if (typeof mod[key] === 'function') functions.push(key);
      answerProbe({ ok: true, exported: typeof mod[exportName] === 'function', functions });
    },
    (err) => answerProbe({ ok: false, code: err && err.code, message: describe(err).message }),
  );
}

function invoke(handler, event, context) {
  // Callback-style handlers take (event, context, callback); the first of callback or promise wins.
  if (handler.length >= 3) {
    return new Promise((resolve, reject) => {
      const r = handler(event, context, (err, value) => (err ? reject(err) : resolve(value)));
      if (r && typeof r.then === 'function') r.then(resolve, reject);
    });
  }
  return Promise.resolve().then(() => handler(event, context));
}

function describe(err) {
  if (err instanceof Error) {
    const out = { message: String(err.message), stack: String(err.stack) };
    // An error code the API may convert (`response.errorCodes[].from.functionError`).
    const code = err.code;
    if ((typeof code === 'string' && code.length <= 128) || Number.isInteger(code)) out.code = code;
    return out;
  }
  let message;
  try {
    message = typeof err === 'string' ? err : JSON.stringify(err);
  } catch {
    message = String(err);
  }
  return { message: String(message) };
}

parentPort.on('message', ({ id, event, context }) => {
  handlerReady.then(
    (handler) =>
      invoke(handler, event, context).then(
        (result) => {
          try {
            parentPort.postMessage({ id, ok: true, result: result === undefined ? null : result });
          } catch (err) {
            parentPort.postMessage({
              id,
              ok: false,
              error: { message: `the return value cannot be sent to the gateway: ${err.message}` },
            });
          }
        },
        (err) => parentPort.postMessage({ id, ok: false, error: describe(err) }),
      ),
    (err) => parentPort.postMessage({ id, ok: false, error: { ...describe(err), load: loadFailure(err) } }),
  );
});
