export * from './schema';
export * from './path-syntax';
export * from './route-regex';
export * from './rules';
export * from './validate';
export * from './canonical';
export * from './admin';
export * from './bundle-hash';
