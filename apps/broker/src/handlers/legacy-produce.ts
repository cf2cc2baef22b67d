import { ErrorCode, MAGIC_POSITION, upConvertLegacyMessageSet, type LegacyProblem } from '@tributary/protocol';

const errorCodeOf: Record<LegacyProblem['code'], number> = {
  CORRUPT_MESSAGE: ErrorCode.CORRUPT_MESSAGE,
  INVALID_RECORD: ErrorCode.INVALID_RECORD,
  MESSAGE_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE,
  UNSUPPORTED_COMPRESSION_TYPE: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
};

/**
 * Produce v0–2 carry magic 0/1 message sets; the log stores only v2 batches, so they are converted
 * here (records decoded: old clients are the exception, not the hot path) and then go through the
 * same checks and append as any v2 batch. Like Kafka, these versions are not held to one magic: a
 * client that sends a v2 batch in an old request gets it stored as sent.
 */
export function producedBlobForLog(
  raw: Buffer,
  apiVersion: number,
  limits: { maxMessageBytes: number; compacted: boolean },
): { ok: true; blob: Buffer } | { ok: false; errorCode: number; message: string } {
  if (apiVersion >= 3 || (raw.length > MAGIC_POSITION && raw.readInt8(MAGIC_POSITION) === 2)) return { ok: true, blob: raw };
  const converted = upConvertLegacyMessageSet(raw, { maxMessageBytes: limits.maxMessageBytes, requireKeys: limits.compacted });
  if (!converted.ok) return { ok: false, errorCode: errorCodeOf[converted.problem.code], message: converted.problem.detail };
  return { ok: true, blob: converted.batch };
}
