/** Entry point of the bundled gateway (`gateway/gateway.js` in the image). */
import { runGateway } from './main';

runGateway(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`gateway: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
