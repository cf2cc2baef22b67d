import { describe, expect, it } from 'vitest';
import { allErrors, ErrorCode, errorInfo, KafkaProtocolError } from './error-codes.ts';

describe('error table', () => {
  it('has unique codes and names and a message for every error', () => {
    const all = allErrors();
    expect(new Set(all.map((e) => e.code)).size).toBe(all.length);
    expect(new Set(all.map((e) => e.name)).size).toBe(all.length);
    expect(all.every((e) => e.message.length > 0)).toBe(true);
    expect(Object.keys(ErrorCode).length).toBe(all.length);
  });

  it('knows retriability as Kafka clients do', () => {
    expect(errorInfo(ErrorCode.NOT_LEADER_OR_FOLLOWER).retriable).toBe(true);
    expect(errorInfo(ErrorCode.TOPIC_AUTHORIZATION_FAILED).retriable).toBe(false);
    expect(errorInfo(ErrorCode.UNSUPPORTED_VERSION)).toMatchObject({ code: 35, name: 'UNSUPPORTED_VERSION' });
    expect(errorInfo(9999).name).toBe('UNKNOWN_ERROR_9999');
  });

  it('turns an error code into a throwable value', () => {
    const err = new KafkaProtocolError(ErrorCode.INVALID_TOPIC_EXCEPTION, 'topic name "." is not allowed');
    expect(err).toMatchObject({ code: 17, errorName: 'INVALID_TOPIC_EXCEPTION', retriable: false });
  });
});
