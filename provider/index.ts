/**
 * What lib/ (synth) uses of the provider: vendoring it into a stack and
 * writing `apigw_service` attributes. Pure functions; the provider process
 * itself is `main.ts`, bundled by scripts/bundle-provider.mjs.
 */
export { serviceResourceAttributes, escapeTemplate, type ServiceAttributesOptions } from './cdktf-json';
export { SERVICE_TYPE } from './service-resource';
export {
  vendorProvider,
  providerBuild,
  defaultBundleDir,
  mergeLockFile,
  PROVIDER_PLATFORMS,
  type ProviderBuild,
  type VendoredProvider,
  type VendorOptions,
} from './vendor';
export { h1Hash } from './h1-hash';
export { readBundleDir, type Bundle } from './bundle-dir';
