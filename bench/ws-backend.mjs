// The WebSocket backend of the WebSocket benchmark: echoes every message.
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0) });
wss.on('listening', () => process.send?.({ port: wss.address().port }));
wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
