/**
 * The provider's client of the gateway's admin API (contract:
 * model/admin.ts). Plain HTTP to `http://host:port`, or through SSH for
 * `ssh://[user@]host[:port]`.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import {
  ADMIN_BUNDLES_PATH,
  ADMIN_CONFIG_PATH,
  type AdminError,
  type ApplyRequest,
  type ApplyResult,
  type BundleUpload,
  type ConfigState,
} from '../model';
import { parseSshUrl, SshAgent } from './ssh-socket';

export interface AdminClientOptions {
  /** `http://host:port` or `ssh://[user@]host[:port]`. */
  readonly endpoint: string;
  readonly token: string;
  readonly timeoutMs: number;
  /** For ssh endpoints: the admin port on the remote host's loopback. */
  readonly adminPort?: number;
  readonly sshOptions?: readonly string[];
}

export interface AdminResponse<T> {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when empty). */
  readonly body: T | AdminError | undefined;
}

/** Largest admin answer read; a gateway has no reason to send more. */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export class AdminClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;
  /** How the endpoint is named in messages. */
  readonly where: string;

  constructor(private readonly options: AdminClientOptions) {
    let url: URL;
    try {
      url = new URL(options.endpoint);
    } catch {
      throw new Error(`endpoint "${options.endpoint}" is not a URL (http://host:port or ssh://[user@]host[:port])`);
    }
    this.where = options.endpoint;
    if (url.protocol === 'http:') {
      if (url.pathname !== '/' || url.search || url.username)
        throw new Error(`endpoint "${options.endpoint}" must be http://host:port, without a path or credentials`);
      this.agent = new Agent({ keepAlive: true, maxSockets: 8 });
      this.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      this.port = Number(url.port || 80);
    } else if (url.protocol === 'ssh:') {
      if (options.adminPort === undefined)
        throw new Error('an ssh:// endpoint needs admin_port: the admin listener port on the remote host');
      this.agent = new SshAgent({
        ...parseSshUrl(url),
        adminPort: options.adminPort,
        options: options.sshOptions ?? [],
      });
      this.host = '127.0.0.1';
      this.port = options.adminPort;
    } else {
      throw new Error(`endpoint "${options.endpoint}": use http://host:port or ssh://[user@]host[:port]`);
    }
  }

  getConfig(): Promise<AdminResponse<ConfigState>> {
    return this.send('GET', ADMIN_CONFIG_PATH);
  }

  putConfig(body: ApplyRequest, ifMatch?: string): Promise<AdminResponse<ApplyResult>> {
    return this.send('PUT', ADMIN_CONFIG_PATH, body, ifMatch);
  }

  deleteConfig(ifMatch?: string): Promise<AdminResponse<ApplyResult>> {
    return this.send('DELETE', ADMIN_CONFIG_PATH, undefined, ifMatch);
  }

  async hasBundle(sha256: string): Promise<boolean> {
    const res = await this.send('HEAD', `${ADMIN_BUNDLES_PATH}${sha256}`);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw new Error(`HEAD ${ADMIN_BUNDLES_PATH}${sha256} answered ${res.status}`);
  }

  putBundle(sha256: string, upload: BundleUpload): Promise<AdminResponse<unknown>> {
    return this.send('PUT', `${ADMIN_BUNDLES_PATH}${sha256}`, upload);
  }

  close(): void {
    this.agent.destroy();
  }

  private send<T>(method: string, path: string, body?: unknown, ifMatch?: string): Promise<AdminResponse<T>> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.options.token}`,
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
            ...(ifMatch ? { 'if-match': ifMatch } : {}),
          },
          signal: AbortSignal.timeout(this.options.timeoutMs),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_RESPONSE_BYTES) req.destroy(new Error('the admin API answered more than 256 MiB'));
            else chunks.push(c);
          });
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: T | AdminError | undefined;
            if (text.length > 0) {
              try {
                parsed = JSON.parse(text) as T | AdminError;
              } catch {
                reject(new Error(`${method} ${path} answered ${res.statusCode} with a body that is not JSON`));
                return;
              }
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        const message = `cannot reach the gateway's admin API at ${this.where}: ${err.name === 'AbortError' || err.name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs / 1000} s` : err.message}`;
        reject(NO_GATEWAY_CODES.has(err.code ?? '') ? new GatewayUnreachable(message) : new Error(message));
      });
      req.end(payload);
    });
  }
}

/**
 * Errors that mean no gateway listens there (refused, no such host or no
 * route), as opposed to one that is slow or failing: a container deleted
 * outside Terraform, or a host that is gone.
 */
const NO_GATEWAY_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** No gateway answers at the endpoint (see NO_GATEWAY_CODES). */
export class GatewayUnreachable extends Error {}

/** An admin error body, or a generic one for an unexpected answer. */
export function adminError(res: AdminResponse<unknown>): AdminError {
  const b = res.body as Partial<AdminError> | undefined;
  if (b && typeof b.code === 'string' && typeof b.message === 'string') return b as AdminError;
  return { code: 'BadRequest', message: `the admin API answered ${res.status}` };
}
