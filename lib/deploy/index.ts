export * from './target';
export * from './image';
export * from './docker-container';
export * from './swarm-service';
