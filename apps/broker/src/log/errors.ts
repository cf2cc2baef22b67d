import { ErrorCode } from '@tributary/protocol';

/** Why the log refused an append or a request; `errorCode` is the Kafka error to answer with. */
export type LogErrorCode = 'CORRUPT_MESSAGE' | 'INVALID_RECORD' | 'MESSAGE_TOO_LARGE' | 'UNSUPPORTED_FOR_MESSAGE_FORMAT' | 'OFFSET_OUT_OF_RANGE' | 'LOG_CLOSED';

const KAFKA_CODE: Record<LogErrorCode, number> = {
  CORRUPT_MESSAGE: ErrorCode.CORRUPT_MESSAGE,
  INVALID_RECORD: ErrorCode.INVALID_RECORD,
  MESSAGE_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
  OFFSET_OUT_OF_RANGE: ErrorCode.OFFSET_OUT_OF_RANGE,
  LOG_CLOSED: ErrorCode.KAFKA_STORAGE_ERROR,
};

export class LogError extends Error {
  readonly code: LogErrorCode;
  readonly errorCode: number;
  constructor(code: LogErrorCode, message: string) {
    super(message);
    this.name = 'LogError';
    this.code = code;
    this.errorCode = KAFKA_CODE[code];
  }
}
