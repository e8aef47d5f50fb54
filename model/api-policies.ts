/**
 * The traffic policies in force for an API: its own IP lists and rate limit,
 * or else the service's `apiDefaults`. One resolution for the runtime,
 * `apigw diff` and the OpenAPI export, so none of them can disagree about
 * which policy an API has.
 */
import type { ApiConfig, GatewayConfig, IpAccessConfig } from './schema';

type ServiceDefaults = Pick<GatewayConfig['service'], 'apiDefaults'>;

/** The IP lists of an API: its own when it declares them (even empty ones), else the service default. */
export function effectiveIpAccess(api: ApiConfig, service: ServiceDefaults): IpAccessConfig | undefined {
  const access = api.ipAccess ?? service.apiDefaults?.ipAccess;
  if (!access || (access.allow.length === 0 && access.deny.length === 0)) return undefined;
  return access;
}

/** Requests per second the API admits from all callers, or undefined when unlimited. */
export function effectiveRateLimit(api: ApiConfig, service: ServiceDefaults): number | undefined {
  return api.rateLimitPerSecond ?? service.apiDefaults?.rateLimitPerSecond;
}
