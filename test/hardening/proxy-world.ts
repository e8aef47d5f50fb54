/**
 * A running gateway with a prefix API (any method) to a real echo backend that
 * counts what reaches it, and an exact mock API: for the hardening tests that
 * check a refused request never reaches a backend.
 */
import { api, gatewayConfig, http, mock } from '../helpers/config';
import { echo, startBackend, startGateway, type RunningGateway } from '../helpers/servers';

export interface ProxyWorld {
  readonly gw: RunningGateway;
  /** Requests the backend received since the start or the last `resetCount`. */
  backendRequests(): number;
  resetCount(): void;
  close(): Promise<void>;
}

export async function startProxyWorld(): Promise<ProxyWorld> {
  let requests = 0;
  const backend = await startBackend((req, res) => {
    requests++;
    echo(req, res);
  });
  const gw = await startGateway(
    gatewayConfig([
      api('proxied', '^~/proxied/', http(backend.origin, '/'), {
        frontend: { type: 'http', rawPath: '^~/proxied/', match: 'prefix', path: '/proxied/', method: 'ANY' },
      }),
      api('mock', '=/mock', mock('"ok"')),
    ]),
  );
  return {
    gw,
    backendRequests: () => requests,
    resetCount: () => {
      requests = 0;
    },
    close: async () => {
      await gw.close();
      await backend.close();
    },
  };
}
