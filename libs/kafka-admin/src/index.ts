export * from './admin-client.ts';
export * from './admin-types.ts';
export * from './connection.ts';
