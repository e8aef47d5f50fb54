/**
 * HTTPS with mandatory SNI. Certificates are chosen by server name (exact,
 * then `*.` wildcard one label deep, then the default domain's if one is
 * set); an unknown name fails the handshake.
 *
 * A check in the SNI callback alone is not enough: a resumed TLS session
 * skips it. Session tickets are therefore off, and every request is checked
 * again (`allows`): the certificate for the request's Host must be the one
 * the connection was set up with, else 421.
 */
import { constants } from 'node:crypto';
import { createSecureContext, type SecureContext, type TlsOptions } from 'node:tls';
import type { ListenersConfig } from '../model';
import { readSecret } from './secrets';

type HttpsConfig = NonNullable<ListenersConfig['https']>;

export interface TlsPolicy {
  readonly options: TlsOptions;
  /** True when a request for `host` may be served on a connection set up for `servername`. */
  allows(servername: string | false | null | undefined, host: string | undefined): boolean;
}

export function createTlsPolicy(https: HttpsConfig, baseDir: string, env: NodeJS.ProcessEnv): TlsPolicy {
  const byName = new Map<string, SecureContext>();
  const pems = new Map<SecureContext, { cert: string; key: string }>();
  for (const c of https.certificates) {
    const cert = readSecret(c.cert, baseDir, env);
    const key = readSecret(c.key, baseDir, env);
    let context: SecureContext;
    try {
      context = createSecureContext({ cert, key, minVersion: https.minVersion });
    } catch (err) {
      throw new Error(`certificate for ${c.domains.join(', ')} cannot be loaded: ${(err as Error).message}`);
    }
    pems.set(context, { cert, key });
    for (const d of c.domains) byName.set(d.toLowerCase(), context);
  }
  const fallback = https.defaultDomain ? lookup(byName, https.defaultDomain.toLowerCase()) : undefined;
  const select = (name: string | undefined): SecureContext | undefined =>
    (name ? lookup(byName, name.toLowerCase()) : undefined) ?? fallback;

  const defaults = fallback ? pems.get(fallback) : undefined;
  const options: TlsOptions = {
    minVersion: https.minVersion,
    // No tickets: resumption must not carry a connection past the SNI check.
    secureOptions: constants.SSL_OP_NO_TICKET,
    SNICallback: (servername, cb) => {
      const context = select(servername);
      if (context) cb(null, context);
      else cb(new Error(`no certificate for ${servername}`), undefined);
    },
    ...(defaults ? { cert: defaults.cert, key: defaults.key } : {}),
  };

  return {
    options,
    allows(servername, host) {
      const hostname = host ? stripPort(host) : undefined;
      const connection = select(servername || undefined);
      return connection !== undefined && hostname !== undefined && select(hostname) === connection;
    },
  };
}

function lookup(map: Map<string, SecureContext>, name: string): SecureContext | undefined {
  const exact = map.get(name);
  if (exact) return exact;
  const dot = name.indexOf('.');
  return dot > 0 ? map.get(`*${name.slice(dot)}`) : undefined;
}

function stripPort(host: string): string {
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}
