// Runs one function's handler inside a worker thread, one invocation at a time.
// Plain CommonJS with only node: built-ins: it is copied next to the bundled gateway.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const path = require('node:path');

const dot = workerData.handler.lastIndexOf('.');
const file = workerData.handler.slice(0, dot);
const exportName = workerData.handler.slice(dot + 1);
let handler;
let loadError;
try {
  handler = require(path.resolve(workerData.dir, file))[exportName];
  if (typeof handler !== 'function') loadError = new Error(`handler "${workerData.handler}" is not a function`);
} catch (err) {
  loadError = err;
}

function invoke(event, context) {
  if (loadError) return Promise.reject(loadError);
  // Callback-style handlers take (event, context, callback).
  if (handler.length >= 3) {
    return new Promise((resolve, reject) => {
      const r = handler(event, context, (err, value) => (err ? reject(err) : resolve(value)));
      if (r && typeof r.then === 'function') r.then(resolve, reject);
    });
  }
  return Promise.resolve().then(() => handler(event, context));
}

parentPort.on('message', ({ id, event, context }) => {
  invoke(event, context).then(
    (result) => {
      try {
        parentPort.postMessage({ id, ok: true, result: result === undefined ? null : result });
      } catch (err) {
        parentPort.postMessage({
          id,
          ok: false,
          error: { message: `the return value cannot be serialized: ${err.message}` },
        });
      }
    },
    (err) => {
      const e = err instanceof Error ? err : new Error(String(err));
      parentPort.postMessage({ id, ok: false, error: { message: e.message, stack: e.stack } });
    },
  );
});
