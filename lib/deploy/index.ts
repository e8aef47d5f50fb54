export * from './target';
export * from './image';
export * from './docker-container';
export * from './existing-gateway';
export * from './swarm-service';
