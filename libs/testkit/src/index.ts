export * from './services.ts';
export * from './etcd.ts';
