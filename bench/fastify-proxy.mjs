// Peer: fastify + @fastify/http-proxy (undici underneath).
import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';

const [port, origin] = [Number(process.argv[2]), process.argv[3]];
const app = Fastify({ logger: false });
await app.register(proxy, { upstream: origin, prefix: '/', undici: { connections: 128, pipelining: 1 } });
await app.listen({ port, host: '127.0.0.1' });
process.send?.({ port });
