/** The quickstart's sample backends on loopback: an HTTP pet service and a WebSocket echo service. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface SampleBackends {
  readonly httpPort: number;
  readonly wsPort: number;
  close(): Promise<void>;
}

export async function startSampleBackends(httpPort = 8081, wsPort = 8082): Promise<SampleBackends> {
  const http = createServer((req, res) => {
    const pet = /^\/v1\/pets\/(\d+)/.exec(req.url ?? '');
    const body = JSON.stringify(
      pet
        ? { id: Number(pet[1]), name: 'Rex', seenBy: 'sample-backend', requestId: req.headers['x-api-requestid'] }
        : { method: req.method, url: req.url, requestId: req.headers['x-api-requestid'] },
    );
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await listen(http, httpPort);
  const wsHttp = createServer();
  const wss = new WebSocketServer({ server: wsHttp, path: '/ws' });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  await listen(wsHttp, wsPort);
  return {
    httpPort: (http.address() as AddressInfo).port,
    wsPort: (wsHttp.address() as AddressInfo).port,
    async close() {
      for (const c of wss.clients) c.terminate();
      await Promise.all([close(http), close(wsHttp)]);
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
