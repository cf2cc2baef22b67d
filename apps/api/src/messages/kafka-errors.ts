import { AdminError, ConnectionError } from '@tributary/kafka-admin';
import { ErrorCode, errorInfo } from '@tributary/protocol';
import { ApiError } from '../errors.ts';

/** What the caller was doing when the brokers refused: names the ACL that would allow it. */
export interface DenialContext {
  instanceId: string;
  topic: string;
  user: string;
  operation: 'READ' | 'WRITE' | 'DESCRIBE';
}

/** The problem for the caller when a broker denies its principal (403, with the ACL that allows it). */
export function aclDenied(c: DenialContext, kafkaError = 'TOPIC_AUTHORIZATION_FAILED'): ApiError {
  return new ApiError('kafka-acl-denied',
    `the instance's ACLs do not allow principal User:${c.user} to ${c.operation} topic ${c.topic} (the brokers answered ${kafkaError}); ` +
    `an ALLOW ACL for User:${c.user}, operation ${c.operation}, on TOPIC ${c.topic} grants it (POST /v1/instances/${c.instanceId}/acls)`);
}

/** Kafka errors (thrown by the client, or per partition as codes) as API problems. */
export function fromKafka(err: unknown, c: DenialContext): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ConnectionError) return new ApiError('instance-unreachable', `the instance's broker did not answer: ${err.message}`);
  if (err instanceof AdminError) return fromKafkaCode(err.code, c, err.message);
  return new ApiError('instance-unreachable', `the instance's brokers could not be used: ${(err as Error).message}`);
}

export function fromKafkaCode(code: number, c: DenialContext, message?: string): ApiError {
  const name = errorInfo(code).name;
  switch (code) {
    case ErrorCode.TOPIC_AUTHORIZATION_FAILED:
      return aclDenied(c, name);
    case ErrorCode.CLUSTER_AUTHORIZATION_FAILED:
      return new ApiError('kafka-acl-denied', `the instance's ACLs refuse principal User:${c.user} (${name})`);
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.UNKNOWN_TOPIC_ID:
      return new ApiError('not-found', `topic ${c.topic} not found on the instance's brokers`);
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return new ApiError('payload-too-large', `the brokers refused the record as too large for topic ${c.topic} (${name}; see the topic's max.message.bytes)`, {
        errors: [{ in: 'body', path: '/value', message: 'record larger than the topic accepts' }],
      });
    case ErrorCode.INVALID_RECORD:
    case ErrorCode.CORRUPT_MESSAGE:
    case ErrorCode.INVALID_TIMESTAMP:
      return new ApiError('validation-failed', `the brokers refused the record: ${message ?? name}`, { errors: [{ in: 'body', path: '/', message: message ?? name }] });
    default: {
      const retriable = errorInfo(code).retriable;
      return new ApiError('instance-unreachable', `the broker answered ${name}${message ? ` (${message})` : ''}`, { status: retriable ? 503 : 502 });
    }
  }
}
