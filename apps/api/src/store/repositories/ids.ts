import { randomBytes } from 'node:crypto';

/** Row ids: a kind prefix and 64 random bits (`ins-…`, `top-…`, `op-…`). */
export const newId = (prefix: string) => `${prefix}-${randomBytes(8).toString('hex')}`;
