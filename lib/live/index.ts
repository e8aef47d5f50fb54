export * from './apigw-provider';
export * from './service-resource';
export * from './live-service';
