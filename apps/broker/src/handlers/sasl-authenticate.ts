import { ErrorCode } from '@tributary/protocol';
import { defineApi } from './api-module.ts';

/** As SaslHandshake (sasl-handshake.ts): reaching this module means the listener has no SASL. */
export const saslAuthenticateApi = defineApi({
  api: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 2,
  serves: 'any-broker',
  authorization: { kind: 'none', why: 'authentication itself' },
  handle: () => ({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'this listener does not use SASL', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n }),
});
