export * from './backend';
export * from './function-code';
export * from './function-target';
export * from './http-backend';
export * from './mock-backend';
export * from './scf-backend';
export * from './websocket-backend';
