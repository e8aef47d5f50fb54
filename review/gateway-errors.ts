/**
 * Which of the gateway's own errors (the catalogue in `runtime/errors.ts`) a
 * client of one API can get, for documentation. The definitions are the
 * catalogue's; only the choice per API is made here, from what the API uses.
 */
import { effectiveIpAccess, effectiveRateLimit, type ApiConfig, type GatewayConfig } from '../model';
import { Errors, type ErrorDef } from '../runtime/errors';

/** Methods whose requests carry a body the gateway reads or forwards. */
export const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/** The catalogue errors an HTTP API can answer, in catalogue order. */
export function gatewayErrorsOf(api: ApiConfig, config: GatewayConfig): ErrorDef[] {
  const { service } = config;
  const codes = new Set<ErrorDef>([
    Errors.BadRequest,
    Errors.RequestTimeout,
    Errors.ExpectationFailed,
    Errors.UriTooLong,
    Errors.HeadersTooLarge,
    Errors.InternalError,
    Errors.ServiceUnavailable,
  ]);
  if (api.parameters.length > 0) codes.add(Errors.InvalidParameter);
  if (api.auth.type === 'keyPair' || api.auth.type === 'oauth2') codes.add(Errors.Unauthorized);
  if (api.auth.type === 'keyPair') {
    const plans = service.usagePlans.filter((p) => !p.apis || p.apis.includes(api.name));
    if (plans.some((p) => p.rateLimitPerSecond !== undefined)) codes.add(Errors.RateLimited);
    if (plans.some((p) => p.quota !== undefined)) codes.add(Errors.QuotaExceeded);
  }
  if (BODY_METHODS.has(api.frontend.method) || api.frontend.method === 'ANY' || api.bodySchema !== undefined)
    codes.add(Errors.PayloadTooLarge);
  if (api.bodySchema !== undefined) {
    codes.add(Errors.InvalidBody);
    codes.add(Errors.UnsupportedMediaType);
  }
  if (api.auth.type === 'oauth2' && api.auth.verifier.remoteJwks) codes.add(Errors.AuthUnavailable);
  if (effectiveIpAccess(api, service)) codes.add(Errors.IpDenied);
  if (effectiveRateLimit(api, service) !== undefined) codes.add(Errors.ApiRateLimited);
  if (service.listeners.https) codes.add(Errors.MisdirectedRequest);
  const backend = api.backend;
  if (backend.type === 'http') {
    codes.add(Errors.BadGateway);
    codes.add(Errors.GatewayTimeout);
  } else if (backend.type === 'scf') {
    codes.add(Errors.FunctionError);
    codes.add(Errors.FunctionTimeout);
    if (backend.responseIntegration || backend.function.source.type === 'remote') codes.add(Errors.FunctionBadResponse);
  }
  const order = Object.values(Errors) as readonly ErrorDef[];
  return [...codes].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}
