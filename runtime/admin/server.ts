/**
 * The admin listener: the admin API of `model/admin.ts` on its own node:http
 * server, bound to `service.admin` (never on a public listener). Every request
 * needs the bearer token; bodies are bounded and parsed as JSON, their shape
 * checked with schemas compiled once; errors are `AdminError` bodies. Each
 * request is one `admin_request` line in the event log (stderr), never in the
 * access log, and never with a secret.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ADMIN_BUNDLES_PATH,
  ADMIN_CONFIG_PATH,
  ADMIN_MAX_BUNDLE_BYTES,
  ADMIN_MAX_CONFIG_BYTES,
  type AdminListenerConfig,
  type ApplyRequest,
  type BundleUpload,
} from '../../model';
import type { EventLog } from '../access-log';
import { SideListener } from '../side-listener';
import { AdminFailure, adminFailure } from './failure';
import type { LiveConfig } from './live-config';

/** What the admin API uses of the live config (whatever the host compiles to). */
export type AdminLiveConfig = Pick<LiveConfig<unknown>, 'describe' | 'apply' | 'revert' | 'bundles' | 'settled'>;
import { applyEnvelopeIssues, bundleUploadIssues } from './shapes';
import { bearerMatches } from './token';

const SHA256 = /^[0-9a-f]{64}$/;
/** Longest request path written to the event log. */
const LOGGED_PATH_CHARS = 200;

export class AdminServer {
  private readonly server: SideListener;

  constructor(
    private readonly live: AdminLiveConfig,
    private readonly token: string,
    private readonly listener: AdminListenerConfig,
    private readonly events: EventLog,
  ) {
    this.server = new SideListener(
      {
        maxHeaderSize: 16 * 1024,
        headersTimeout: 10_000,
        // A 64 MiB bundle through an SSH tunnel may take a while.
        requestTimeout: 300_000,
        keepAliveTimeout: 5_000,
      },
      (req, res) => this.handle(req, res),
    );
  }

  listen(): Promise<AddressInfo> {
    return this.server.listen(this.listener.port, this.listener.host);
  }

  /** Stops accepting; requests in progress finish (an apply is never cut between persist and swap). */
  close(): Promise<void> {
    return this.server.close(() => this.live.settled());
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    const method = req.method ?? '';
    const path = (req.url ?? '').split('?', 1)[0] as string;
    let error: string | undefined;
    res.once('close', () =>
      this.events.info('admin_request', {
        method,
        path: path.length > LOGGED_PATH_CHARS ? `${path.slice(0, LOGGED_PATH_CHARS)}...` : path,
        status: res.writableFinished ? res.statusCode : 499,
        error,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e3) / 1e3,
        client: req.socket.remoteAddress,
      }),
    );
    this.route(req, res, method, path).catch((err: unknown) => {
      const failure =
        err instanceof AdminFailure ? err : adminFailure('InternalError', 'the admin request failed; nothing changed');
      if (!(err instanceof AdminFailure))
        this.events.error('admin_error', { error: (err as Error).stack ?? String(err) });
      error = failure.body.code;
      // Whatever body is left unread is not worth reading after a refusal.
      if (failure.status === 401 || failure.status === 413 || failure.status === 400) res.shouldKeepAlive = false;
      send(res, failure.status, failure.body, failure.headers);
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> {
    if (!bearerMatches(req.headers.authorization, this.token)) {
      throw adminFailure('Unauthorized', 'send the admin token as "Authorization: Bearer <token>"', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    const ifMatch = typeof req.headers['if-match'] === 'string' ? req.headers['if-match'] : undefined;
    if (path === ADMIN_CONFIG_PATH) {
      switch (method) {
        case 'GET': {
          const state = this.live.describe();
          return send(res, 200, state, { etag: state.etag });
        }
        case 'PUT': {
          const body = await readJson(req, ADMIN_MAX_CONFIG_BYTES);
          const issues = applyEnvelopeIssues(body);
          if (issues.length > 0) throw adminFailure('BadRequest', 'the body is not an apply request', { issues });
          const result = await this.live.apply(body as ApplyRequest, ifMatch);
          return send(res, 200, result, { etag: result.etag });
        }
        case 'DELETE': {
          req.resume();
          const result = await this.live.revert(ifMatch);
          return send(res, 200, result, { etag: result.etag });
        }
        default:
          throw notAllowed(method, 'GET, PUT, DELETE');
      }
    }
    if (path.startsWith(ADMIN_BUNDLES_PATH)) {
      const sha = path.slice(ADMIN_BUNDLES_PATH.length);
      if (!SHA256.test(sha))
        throw adminFailure('NotFound', 'a bundle is named by the sha256 of its files (64 lowercase hex digits)');
      switch (method) {
        case 'HEAD': {
          req.resume();
          const stored = await this.live.bundles.keep(sha);
          res.writeHead(stored ? 200 : 404, { 'cache-control': 'no-store', 'content-length': 0 });
          res.end();
          return;
        }
        case 'PUT': {
          const body = await readJson(req, ADMIN_MAX_BUNDLE_BYTES);
          const issues = bundleUploadIssues(body);
          if (issues.length > 0) throw adminFailure('BadRequest', 'the body is not a bundle upload', { issues });
          await this.live.bundles.put(sha, body as BundleUpload);
          return send(res, 200, { sha256: sha });
        }
        default:
          throw notAllowed(method, 'HEAD, PUT');
      }
    }
    throw adminFailure(
      'NotFound',
      `no admin route ${path}; see ${ADMIN_CONFIG_PATH} and ${ADMIN_BUNDLES_PATH}<sha256>`,
    );
  }
}

function notAllowed(method: string, allow: string): AdminFailure {
  return adminFailure('MethodNotAllowed', `${method} is not allowed here (${allow})`, { headers: { allow } });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** Reads a JSON body of at most `max` bytes: 413 beyond it, 400 when it is not JSON or is cut off. */
function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const tooLarge = (): AdminFailure =>
    adminFailure('PayloadTooLarge', `the body is larger than ${max} bytes (${Math.round(max / 1048576)} MiB)`);
  if (Number(req.headers['content-length'] ?? 0) > max) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > max) {
        req.off('data', onData);
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (total > max) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks, total).toString('utf8')));
      } catch (err) {
        reject(adminFailure('BadRequest', `the body is not JSON: ${(err as Error).message}`));
      }
    });
    req.once('error', () => reject(adminFailure('BadRequest', 'the body was cut off')));
  });
}
