/**
 * The construct library's public surface, named one by one: what is not
 * listed here (config builders, staging, probes, the targets' plumbing) is
 * internal and may change without notice. `cdktf-apigw/kubernetes` holds the
 * Kubernetes target, so that only its users need @cdktf/provider-kubernetes.
 */
export {
  Api,
  type ApiOptions,
  type ApiProps,
  type ErrorCodeOptions,
  type ParameterOptions,
  type ResponseOptions,
} from './api';
export { ApiPath } from './api-path';
export { Auth, type KeyPairAuthOptions, type OAuth2Options } from './auth';
export {
  Backend,
  FunctionCode,
  HttpBackend,
  MockBackend,
  ScfBackend,
  WebSocketBackend,
  WebSocketFunctionBackend,
  type ConstantParameterOptions,
  type DirectoryCodeOptions,
  type FunctionProps,
  type HttpBackendProps,
  type MockBackendProps,
  type ParameterMappingOptions,
  type ScfBackendProps,
  type WebSocketBackendProps,
  type WebSocketFunctionBackendProps,
} from './backends';
export type { BuildContext } from './build-context';
export { Cors, type CorsOptions } from './cors';
export {
  DEFAULT_ADMIN_PORT,
  DeploymentTarget,
  DockerContainerTarget,
  ExistingGatewayTarget,
  SwarmServiceTarget,
  type DockerContainerOptions,
  type DockerMount,
  type DockerNetworkAttachment,
  type ExistingGatewayOptions,
  type SwarmServiceOptions,
} from './deploy';
export { Duration } from './duration';
export { Secret } from './secret';
export {
  DEFAULT_BASE_IMAGE,
  Service,
  type CertificateOptions,
  type HttpsOptions,
  type KeyPairOptions,
  type LimitsOptions,
  type ServiceProps,
  type UsagePlanOptions,
} from './service';
export { ApigwProvider, ApigwServiceResource, type ApigwProviderProps, type ApigwServiceResourceProps } from './live';
export { ErrorSource, type ApiDefaultsOptions, type IpAccessOptions } from './traffic-policies';
