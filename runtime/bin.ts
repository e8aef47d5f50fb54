/**
 * Entry point of the bundled gateway (`gateway/gateway.js` in the image). The
 * bundle's `gateway-worker.js` loads this file in each worker thread of a
 * multi-worker process: there, importing the worker module runs the worker.
 */
import { isMainThread } from 'node:worker_threads';
import './cluster/gateway-worker';
import { runGateway } from './main';

if (isMainThread) {
  runGateway(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`gateway: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
