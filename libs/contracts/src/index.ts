export * from './errors.ts';
export * from './common.ts';
export * from './instance.ts';
export * from './topic.ts';
export * from './access.ts';
export * from './account.ts';
export * from './billing.ts';
export * from './jobs.ts';
