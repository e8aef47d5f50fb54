// The backend every target proxies to: a fixed small JSON body, keep-alive.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const body = Buffer.from(JSON.stringify({ id: 42, name: 'Rex', tags: ['a', 'b'] }));
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.send?.({ port: server.address().port }));
