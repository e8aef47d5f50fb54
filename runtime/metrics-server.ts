/**
 * The metrics listener (`service.listeners.metrics`): Prometheus metrics on a
 * node:http server of their own, for a scraper on a private network, so that
 * they are never reachable from the public listeners (which then do not
 * answer the metrics path). It answers `GET`/`HEAD` of the metrics path
 * (`metricsPath`, default `/metrics`) and the catalogue's JSON errors to
 * anything else; it is bound at start, like the other listeners.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenersConfig } from '../model';
import { Errors, GatewayError, sendError } from './errors';
import { SideListener } from './side-listener';

/** What the listener serves: the path (a live apply may change it) and the scrape. */
export interface MetricsSource {
  /** `metricsPath` of the served config. */
  path(): string | undefined;
  /** Answers a scrape (`serveMetrics`, or the sum over a multi-worker process's workers). */
  serve(res: ServerResponse, requestId: string, head: boolean): void;
}

/** The path metrics are served at on the metrics listener when `metricsPath` is absent. */
export const DEFAULT_METRICS_LISTENER_PATH = '/metrics';

export class MetricsServer {
  private readonly server: SideListener;

  constructor(
    private readonly listener: NonNullable<ListenersConfig['metrics']>,
    private readonly source: MetricsSource,
  ) {
    this.server = new SideListener(
      { maxHeaderSize: 8 * 1024, headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 },
      (req, res) => this.handle(req, res),
    );
  }

  listen(): Promise<AddressInfo> {
    return this.server.listen(this.listener.port, this.listener.host);
  }

  /** Stops at once: a scrape in progress is cut (it is retried at the next interval). */
  close(): Promise<void> {
    return this.server.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const requestId = randomUUID();
    const head = req.method === 'HEAD';
    req.resume();
    // Read per request: a live apply may change the path (the listener itself is bound at start).
    const path = this.source.path() ?? DEFAULT_METRICS_LISTENER_PATH;
    const target = req.url ?? '';
    const q = target.indexOf('?');
    if ((q === -1 ? target : target.slice(0, q)) !== path) {
      return sendError(res, requestId, new GatewayError(Errors.RouteNotFound, `metrics are served at ${path}`), head);
    }
    if (req.method !== 'GET' && !head) {
      return sendError(res, requestId, new GatewayError(Errors.MethodNotAllowed, undefined, { allow: 'GET, HEAD' }));
    }
    this.source.serve(res, requestId, head);
  }
}
