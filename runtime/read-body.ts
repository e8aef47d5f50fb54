/** Reads a whole request body, up to a limit (413 beyond it). For backends that need the body at once. */
import type { IncomingMessage } from 'node:http';
import { Errors, GatewayError } from './errors';

export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) {
    req.resume();
    return Promise.reject(new GatewayError(Errors.PayloadTooLarge));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(new GatewayError(Errors.PayloadTooLarge));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', () => reject(new GatewayError(Errors.BadRequest, 'the request body was cut off')));
  });
}
