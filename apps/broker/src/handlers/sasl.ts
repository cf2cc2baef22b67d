import { ApiKey, ErrorCode } from '@tributary/protocol';
import type { Handler } from './context.ts';

/**
 * On SASL listeners the connection itself runs the SASL exchange (it owns the per-connection state
 * and decides what may be sent before authentication). A SASL request reaching this handler came on
 * a listener without SASL, which Kafka answers with ILLEGAL_SASL_STATE.
 */
export const handleSaslOnPlainListener: Handler = (_ctx, request) =>
  request.api.apiKey === ApiKey.SaslHandshake
    ? { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }
    : { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'this listener does not use SASL', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
