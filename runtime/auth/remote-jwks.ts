/**
 * Verification keys fetched from the identity provider's JWKS URL, with
 * jose's remote key set: fetched at the first token, cached for
 * `cacheMaxAgeMs`, fetched again when a token names an unknown `kid` (at most
 * once per `cooldownMs`), so rotating keys needs no redeploy; concurrent
 * requests share one fetch.
 *
 * Failing closed: when the keys cannot be had (endpoint down, slow, not 200,
 * not a JWKS) the request is refused with `503 AuthUnavailable` — the token
 * may be fine, so not `401` — and `jwks_fetch_failed` is logged on stderr
 * (once per failure burst, never the keys). Keys fetched before stay in use
 * until they are `cacheMaxAgeMs` old. After a failure, requests that need a
 * fetch are refused at once for `min(cooldownMs, 5 s)` instead of each
 * waiting on, and calling, the endpoint again.
 *
 * A key set outlives config generations (by API name, URL and settings),
 * like the rate counters: a live apply or reload during an identity provider
 * outage keeps the keys it had instead of starting with none.
 *
 * The fetch is bounded beyond jose's own timeout (which covers the response
 * head only): its socket is destroyed when idle for `timeoutMs`, when the
 * whole fetch takes longer than that, or past `MAX_JWKS_BYTES`.
 */
import { Agent as HttpAgent, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import type { RemoteJwksConfig } from '../../model';
import type { EventLog } from '../access-log';

/** Largest JWKS response read (a document of a few keys is a few KiB). */
export const MAX_JWKS_BYTES = 1024 * 1024;
/** Longest wait after a failed fetch before the next one. */
const MAX_BACKOFF_MS = 5_000;

/** The identity provider's keys could not be fetched: the caller answers 503. */
export class KeySetUnavailable extends Error {}

/** Errors about the token, not the key set: the set was fetched but holds no (usable) key for it. */
function isTokenError(err: unknown): boolean {
  return (
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys ||
    err instanceof errors.JOSENotSupported
  );
}

/** Key sets by API name, URL and settings, shared by config generations; the oldest go past this many. */
const MAX_KEPT_SETS = 256;
const keySets = new Map<string, JWTVerifyGetKey>();

/** The API's key set: the one an earlier generation made with the same settings, or a new one. */
export function createRemoteKeySet(apiName: string, config: RemoteJwksConfig, events?: EventLog): JWTVerifyGetKey {
  const key = JSON.stringify([apiName, config.url, config.timeoutMs, config.cooldownMs, config.cacheMaxAgeMs]);
  let set = keySets.get(key);
  if (set === undefined) {
    set = newKeySet(apiName, config, events);
    if (keySets.size >= MAX_KEPT_SETS) keySets.delete(keySets.keys().next().value as string);
    keySets.set(key, set);
  }
  return set;
}

function newKeySet(apiName: string, config: RemoteJwksConfig, events: EventLog | undefined): JWTVerifyGetKey {
  const url = new URL(config.url);
  const set = createRemoteJWKSet(url, {
    timeoutDuration: config.timeoutMs,
    cooldownDuration: config.cooldownMs,
    cacheMaxAge: config.cacheMaxAgeMs,
    agent: boundedAgent(url, config.timeoutMs),
    headers: { accept: 'application/jwk-set+json, application/json' },
  });
  const backoffMs = Math.min(config.cooldownMs, MAX_BACKOFF_MS);
  let failedAt = Number.NEGATIVE_INFINITY;

  return async (header, token) => {
    if (!set.fresh && Date.now() - failedAt < backoffMs) {
      throw new KeySetUnavailable('the last fetch of the signing keys failed moments ago');
    }
    try {
      return await set(header, token);
    } catch (err) {
      if (isTokenError(err)) throw err;
      const now = Date.now();
      // Every request waiting on one failed fetch gets the same error: log it once.
      if (now - failedAt >= backoffMs)
        events?.error('jwks_fetch_failed', {
          api: apiName,
          url: url.href,
          error: describeFailure(err, config.timeoutMs),
        });
      failedAt = now;
      throw new KeySetUnavailable(describeFailure(err, config.timeoutMs));
    }
  };
}

function describeFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof errors.JWKSTimeout) return `no answer within ${timeoutMs} ms`;
  if (err instanceof errors.JWKSInvalid) return 'the response is not a JWKS document';
  if (err instanceof errors.JOSEError) return err.message;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : (err as Error).message;
}

/**
 * An agent whose sockets live at most `timeoutMs` (idle or not) and read at
 * most `MAX_JWKS_BYTES`: jose's timeout stops at the response head, and a
 * stalled or endless body would otherwise hold the one shared fetch, and every
 * request waiting on it, forever.
 */
function boundedAgent(url: URL, timeoutMs: number): HttpAgent {
  const bound = (socket: Duplex | null | undefined): Duplex | null | undefined => {
    if (!socket) return socket;
    const s = socket as Socket;
    const fail = (why: string): void => void s.destroy(new Error(why));
    s.setTimeout(timeoutMs, () => fail(`the JWKS endpoint was idle for ${timeoutMs} ms`));
    const deadline = setTimeout(() => fail(`the JWKS fetch took longer than ${timeoutMs} ms`), timeoutMs);
    deadline.unref();
    let read = 0;
    s.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > MAX_JWKS_BYTES) fail(`the JWKS response is larger than ${MAX_JWKS_BYTES} bytes`);
    });
    s.once('close', () => clearTimeout(deadline));
    return s;
  };
  if (url.protocol === 'https:') {
    return new (class extends HttpsAgent {
      override createConnection(options: RequestOptions, cb?: (err: Error | null, s: Duplex) => void) {
        return bound(super.createConnection(options, cb));
      }
    })({ keepAlive: false });
  }
  return new (class extends HttpAgent {
    override createConnection(options: ClientRequestArgs, cb?: (err: Error | null, s: Duplex) => void) {
      return bound(super.createConnection(options, cb));
    }
  })({ keepAlive: false });
}
