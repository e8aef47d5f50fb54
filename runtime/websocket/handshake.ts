/**
 * The client's half of the WebSocket opening handshake (RFC 6455 4.1/4.2.1),
 * checked in full by admission before a backend leg opens or a registration
 * function runs. It is at least as strict as `ws`: a handshake that `ws`
 * (client or server) would refuse later — when a backend connection already
 * exists — is refused here first, with the catalogue's JSON body.
 */
import type { IncomingMessage } from 'node:http';
import { Errors, GatewayError } from '../errors';

/** base64 of exactly 16 bytes, in canonical form (the last digit carries 2 bits, then `==`). */
const KEY = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

/** RFC 9110 5.6.2 `tchar`: the characters of a token. */
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Optional whitespace around list elements: spaces and tabs only (`trim()` would also take U+00A0, which `ws` refuses). */
const OWS = /^[ \t]+|[ \t]+$/g;

const NO_PROTOCOLS: readonly string[] = Object.freeze([]);

const bad = (message: string): GatewayError => new GatewayError(Errors.BadRequest, message);

/**
 * Returns the subprotocols the client offers (in its order), or the error to
 * answer: 400 for a malformed handshake, 426 naming version 13 for another
 * WebSocket version (RFC 6455 4.4).
 */
export function checkHandshake(req: IncomingMessage): readonly string[] | GatewayError {
  if (req.httpVersion !== '1.1') return bad('a WebSocket upgrade needs HTTP/1.1');
  const { headers } = req;
  if (headers.upgrade?.toLowerCase() !== 'websocket') return bad('the Upgrade header must be "websocket"');
  if (!hasToken(headers.connection, 'upgrade')) return bad('the Connection header must include "Upgrade"');
  const version = headers['sec-websocket-version'];
  if (version === undefined || version === '') return bad('the Sec-WebSocket-Version header is missing');
  if (version !== '13') {
    return new GatewayError(Errors.UpgradeRequired, 'only WebSocket version 13 is supported', {
      'sec-websocket-version': '13',
    });
  }
  const key = headers['sec-websocket-key'];
  if (key === undefined || !KEY.test(key)) return bad('the Sec-WebSocket-Key header must be the base64 of 16 bytes');
  const offered = headers['sec-websocket-protocol'];
  if (offered === undefined) return NO_PROTOCOLS;
  const protocols = parseProtocols(offered);
  if (!protocols) return bad('the Sec-WebSocket-Protocol header must be a list of distinct tokens');
  return protocols;
}

/** `1#token` (RFC 6455 4.1, RFC 9110 5.6.1): no empty elements, no repeats; undefined when malformed. */
function parseProtocols(value: string): string[] | undefined {
  const out: string[] = [];
  for (const element of value.split(',')) {
    const p = element.replace(OWS, '');
    if (!TCHAR.test(p) || out.includes(p)) return undefined;
    out.push(p);
  }
  return out;
}

/** True when a comma-separated header lists `token` (ASCII case-insensitive). */
function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  return value.split(',').some((t) => t.replace(OWS, '').toLowerCase() === token);
}
