export * from './money.ts';
export * from './price-book.ts';
export * from './meters.ts';
export * from './engine.ts';
export * from './invoice.ts';
export * from './report.ts';
export * from './downgrade.ts';
