export * from './records/batch-header.ts';
export * from './records/crc32c.ts';
