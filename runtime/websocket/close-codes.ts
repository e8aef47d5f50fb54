/**
 * Close codes relayed between the two sides of a proxied WebSocket. `ws`
 * throws when asked to send a reserved code (1005, 1006, 1015) or one outside
 * 1000–4999, or a reason over 123 bytes, so every relayed close goes through here.
 */
export function relayableClose(code: number, reason: Buffer | string): { code: number; reason: string } {
  let out: number;
  if (code === 1005)
    out = 1000; // the peer sent no status: a normal close
  else if (code === 1006 || code === 1015)
    out = 1011; // abnormal end on the other side
  else if ((code >= 1000 && code <= 1014 && code !== 1004) || (code >= 3000 && code <= 4999)) out = code;
  else out = 1011;
  let text = typeof reason === 'string' ? reason : reason.toString('utf8');
  while (Buffer.byteLength(text) > 123) text = text.slice(0, -1);
  return { code: out, reason: out === code ? text : '' };
}
