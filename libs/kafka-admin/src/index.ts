export * from './admin-client.ts';
export * from './connection.ts';
