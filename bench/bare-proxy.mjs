// The Node floor: the least a correct undici proxy does (pooled keep-alive,
// hop-by-hop headers dropped, bodies written by hand with backpressure).
import { createServer } from 'node:http';
import { Agent } from 'undici';

const [port, origin] = [Number(process.argv[2]), process.argv[3]];
const agent = new Agent({ keepAliveTimeout: 4000 });
const HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
  'host',
]);
createServer((req, res) => {
  const headers = [];
  for (const k in req.headers) if (!HOP.has(k)) headers.push(k, req.headers[k]);
  agent.dispatch(
    { origin, path: req.url, method: req.method, headers, body: req.method === 'GET' ? null : req },
    {
      onRequestStart() {},
      onResponseStart(_c, status, h) {
        const out = {};
        for (const k in h) if (!HOP.has(k)) out[k] = h[k];
        res.writeHead(status, out);
      },
      onResponseData(c, chunk) {
        if (!res.write(chunk)) {
          c.pause();
          res.once('drain', () => c.resume());
        }
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError() {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      },
    },
  );
}).listen(port, '127.0.0.1', () => process.send?.({ port }));
