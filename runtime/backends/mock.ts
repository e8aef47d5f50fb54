/** Mock backend: answers the configured response without calling anything. */
import type { ApiConfig, MockBackendConfig } from '../../model';
import type { HttpBackendHandler } from '../pipeline';

export function createMockHandler(_api: ApiConfig, mock: MockBackendConfig): HttpBackendHandler {
  const body = Buffer.from(mock.body, mock.isBase64Encoded ? 'base64' : 'utf8');
  const headers: Record<string, string> = { ...lowerKeys(mock.headers) };
  headers['content-type'] ??= 'application/json; charset=utf-8';
  headers['content-length'] = String(body.length);
  return {
    handle(ctx) {
      ctx.req.resume();
      ctx.res.writeHead(mock.statusCode, { ...headers, ...ctx.extraResponseHeaders, 'x-api-requestid': ctx.requestId });
      ctx.res.end(ctx.req.method === 'HEAD' ? undefined : body);
    },
    async close() {},
  };
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}
