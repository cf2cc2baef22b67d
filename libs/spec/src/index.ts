export * from './format.ts';
export * from './load.ts';
export * from './model.ts';
export * from './diff.ts';
export * from './export.ts';
