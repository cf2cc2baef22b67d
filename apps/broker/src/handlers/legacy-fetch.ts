import { downConvertBatches, ErrorCode } from '@tributary/protocol';

/**
 * Fetch v0–3 clients read magic 0 (v0–1) or magic 1 (v2–3) message sets; the log holds v2 batches,
 * so what the log returned is down-converted (see `downConvertBatches` for how compressed batches
 * and zstd are treated). Newer versions get the stored bytes untouched.
 */
export function fetchedRecordsForClient(
  stored: Buffer,
  apiVersion: number,
  fetchOffset: number,
  maxBytes: number,
): { ok: true; records: Buffer } | { ok: false; errorCode: number; message: string } {
  if (apiVersion >= 4 || stored.length === 0) return { ok: true, records: stored };
  const converted = downConvertBatches(stored, { magic: apiVersion <= 1 ? 0 : 1, fetchOffset, maxBytes });
  if (!converted.ok) return { ok: false, errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, message: converted.problem.detail };
  return { ok: true, records: converted.records };
}
