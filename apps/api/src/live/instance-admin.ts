import { AdminError, KafkaAdminClient } from '@tributary/kafka-admin';
import { ErrorCode } from '@tributary/protocol';
import { ApiError, notFound } from '../errors.ts';

/**
 * Connects to the first of the instance's internal bootstrap servers that answers (none answering is
 * a 503 the caller may retry). Pass `InstanceRow.internalBootstrapServers`: the brokers' internal
 * listener, where the broker trusts the connection (no credentials). The client endpoint would refuse
 * a connection that does not log in (apps/operator/README.md "Endpoints").
 */
export async function connectToInstance(bootstrapServers: string, timeoutMs = 5_000): Promise<KafkaAdminClient> {
  const failures: string[] = [];
  for (const server of bootstrapServers.split(',').map((s) => s.trim()).filter(Boolean)) {
    try {
      return await KafkaAdminClient.connect(server, { clientId: 'tributary-api', timeoutMs });
    } catch (err) {
      failures.push(`${server}: ${(err as Error).message}`);
    }
  }
  throw new ApiError('instance-unreachable', `no broker of the instance answered (${failures.join('; ') || 'no bootstrap servers'})`);
}

/** Runs `read` on an admin connection to the instance; broker errors become API errors. */
export async function withInstanceAdmin<T>(bootstrapServers: string, read: (admin: KafkaAdminClient) => Promise<T>): Promise<T> {
  const admin = await connectToInstance(bootstrapServers);
  try {
    return await read(admin);
  } catch (err) {
    if (err instanceof AdminError) throw fromAdminError(err);
    if (err instanceof ApiError) throw err;
    throw new ApiError('instance-unreachable', `the instance's broker did not answer: ${(err as Error).message}`);
  } finally {
    admin.close();
  }
}

export function fromAdminError(err: AdminError): ApiError {
  switch (err.code) {
    case ErrorCode.GROUP_ID_NOT_FOUND:
      return notFound('consumer group');
    case ErrorCode.NON_EMPTY_GROUP:
    case ErrorCode.UNKNOWN_MEMBER_ID:
      return new ApiError('group-not-empty', `${err.resource}: the group has active members; stop its consumers first`);
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
      return notFound('topic');
    default:
      return new ApiError('instance-unreachable', `the broker answered ${err.errorName} for ${err.resource}`, { status: err.retriable ? 503 : 502 });
  }
}
