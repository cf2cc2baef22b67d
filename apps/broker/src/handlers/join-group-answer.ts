import { defaultJoinGroupResponse } from '@tributary/protocol';

/**
 * Kafka's JoinGroupResponse constructor: from v7, where the field is nullable, an empty protocol name
 * is sent as null; before v7 a null one is sent as ''.
 */
export const joinProtocolName = (v: number, name: string | null): string | null => (v >= 7 ? name || null : (name ?? ''));

/** A JoinGroup refused before the coordinator sees it (authorization, quotas): Kafka's empty JoinGroupResponseData with the error. */
export const joinGroupError = (v: number, errorCode: number) => ({ ...defaultJoinGroupResponse(), errorCode, protocolName: joinProtocolName(v, null) });
