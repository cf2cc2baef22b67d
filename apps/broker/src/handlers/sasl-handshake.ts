import { ErrorCode } from '@tributary/protocol';
import { defineApi } from './api-module.ts';

/**
 * On SASL listeners the connection itself runs the SASL exchange (it owns the per-connection state
 * and decides what may be sent before authentication). A SaslHandshake reaching this module came
 * on a listener without SASL, which Kafka answers with ILLEGAL_SASL_STATE.
 */
export const saslHandshakeApi = defineApi({
  api: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  serves: 'any-broker',
  authorization: { kind: 'none', why: 'authentication itself' },
  handle: () => ({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] }),
});
