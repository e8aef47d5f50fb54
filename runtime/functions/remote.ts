/** Invokes a function on a remote platform or emulator: POST the event JSON, read the result JSON. */
import { request, type Dispatcher } from 'undici';
import type { RemoteFunctionSource } from '../../model';
import { Errors, GatewayError, errorCode } from '../errors';

const MAX_RESULT_BYTES = 16 * 1024 * 1024;

export async function invokeRemote(
  dispatcher: Dispatcher,
  source: RemoteFunctionSource,
  timeoutMs: number,
  event: unknown,
): Promise<unknown> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(source.url, {
      dispatcher,
      method: 'POST',
      headers: { ...source.headers, 'content-type': 'application/json' },
      body: JSON.stringify(event),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw mapError(err as Error, timeoutMs);
  }
  try {
    const text = await readLimited(res.body);
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw new GatewayError(Errors.FunctionError, `the function endpoint answered ${res.statusCode}`).because(
        'bad_status',
        `the function endpoint answered ${res.statusCode}`,
      );
    }
    try {
      return text === '' ? null : (JSON.parse(text) as unknown);
    } catch {
      throw new GatewayError(Errors.FunctionBadResponse, 'the function endpoint did not return JSON').because(
        'bad_response',
      );
    }
  } catch (err) {
    res.body.destroy();
    throw err instanceof GatewayError ? err : mapError(err as Error, timeoutMs);
  }
}

async function readLimited(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += (chunk as Buffer).length;
    if (total > MAX_RESULT_BYTES)
      throw new GatewayError(Errors.FunctionBadResponse, 'the function result is too large').because(
        'bad_response',
        `more than ${MAX_RESULT_BYTES} bytes`,
      );
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function mapError(err: Error, timeoutMs: number): GatewayError {
  const code = errorCode(err, 'failed');
  if (err.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new GatewayError(Errors.FunctionTimeout, `the function did not finish within ${timeoutMs} ms`).because(
      'timeout',
    );
  }
  // Refused (ECONNREFUSED), DNS (ENOTFOUND, EAI_AGAIN), reset, TLS ...: the URL is not logged (it may hold a key).
  return new GatewayError(Errors.FunctionError, 'the function endpoint could not be reached').because(
    code,
    err.message,
  );
}
