export * from './services.ts';
export * from './etcd.ts';
export * from './kafka.ts';
export * from './unauthenticated.ts';
export * from './kube.ts';
export * from './node-agent/agent.ts';
export * from './node-agent/buildah-image.ts';
export * from './until.ts';
