import { ErrorCode, type ApiName } from '@tributary/protocol';
import type { ApiRequest, ApiResponse } from './api-module.ts';
import { errorResponseFor } from './error-response.ts';

/**
 * Kafka 4.4's controller runs an admin request it is forwarded (CreateTopics, CreatePartitions,
 * DeleteTopics, AlterPartitionReassignments, ElectLeaders) with the deadline now + the request's
 * `timeoutMs`. With a timeout of 0 or less that deadline has passed before the controller gets to
 * the request: nothing is applied and the whole request is answered REQUEST_TIMED_OUT, at every
 * level its error response has (getErrorResponse), after the request-level authorization. kafka-go's
 * ElectLeaders and AlterPartitionReassignments send 0 unless the caller sets a Timeout.
 *
 * Returns that answer when the deadline has passed, else null (the handler goes on).
 */
export function deadlinePassedAnswer<N extends ApiName>(request: ApiRequest<N>, timeoutMs: number): ApiResponse<N> | null {
  return timeoutMs <= 0 ? (errorResponseFor(request, ErrorCode.REQUEST_TIMED_OUT) as ApiResponse<N>) : null;
}
