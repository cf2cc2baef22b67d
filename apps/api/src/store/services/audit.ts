import { decodeCursor, encodeCursor } from '../../http.ts';
import { ApiError } from '../../errors.ts';
import type { AuditEventRow, AuditRepository } from '../repositories/operations.ts';
import type { Page } from '../types.ts';

export interface AuditListFilter { limit: number; cursor?: string | undefined; targetId?: string | undefined; action?: string | undefined; keyId?: string | undefined }

/**
 * Reading the audit trail (GET /v1/audit-events), newest first. The API's shared cursor is
 * (timestamp, id); here it names the last event of the page, whose id is a bigserial number.
 */
export class AuditService {
  readonly #audit: AuditRepository;
  constructor(audit: AuditRepository) { this.#audit = audit; }

  async list(accountId: string, f: AuditListFilter): Promise<Page<AuditEventRow>> {
    const c = f.cursor !== undefined ? decodeCursor(f.cursor) : undefined;
    if (c && !/^[0-9]+$/.test(c.id)) throw new ApiError('validation-failed', 'cursor is not one this API returned', { errors: [{ in: 'query', path: '/cursor', message: 'invalid cursor' }] });
    const rows = await this.#audit.list(accountId, { limit: f.limit, before: c ? { at: c.createdAt, id: BigInt(c.id) } : undefined, targetId: f.targetId, action: f.action, keyId: f.keyId });
    if (rows.length <= f.limit) return { items: rows };
    const items = rows.slice(0, f.limit);
    const last = items[items.length - 1]!;
    return { items, nextCursor: encodeCursor(last.at, last.id) };
  }
}
