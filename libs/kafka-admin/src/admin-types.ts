import { AclOperation, AclPermission, errorInfo, PatternType, ResourceType, type ScramMechanismName, type ScramSecret } from '@tributary/protocol';
import type { ConnectionOptions } from 'node:tls';

// The admin client's vocabulary: what its calls take and return, and its one error type.

/** One ACL as Kafka's admin API names its parts (numbers are Kafka's wire codes; see AclCodes). */
export interface Acl {
  resourceType: 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID';
  resourceName: string;
  patternType: 'LITERAL' | 'PREFIXED';
  principal: string;
  host: string;
  operation: AclOperationName;
  permission: 'ALLOW' | 'DENY';
}
export type AclOperationName = 'ALL' | 'READ' | 'WRITE' | 'CREATE' | 'DELETE' | 'ALTER' | 'DESCRIBE' | 'CLUSTER_ACTION' | 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS' | 'IDEMPOTENT_WRITE';
/** A filter: null or 'ANY' matches everything; patternType 'MATCH' finds every ACL that applies to a name. */
export interface AclFilter {
  resourceType?: Acl['resourceType'] | 'ANY';
  resourceName?: string | null;
  patternType?: Acl['patternType'] | 'ANY' | 'MATCH';
  principal?: string | null;
  host?: string | null;
  operation?: AclOperationName | 'ANY';
  permission?: Acl['permission'] | 'ANY';
}
/** Kafka's wire numbers for each part of an ACL (libs/protocol's admin vocabulary), by the names above. */
export const AclCodes = { resourceType: ResourceType, patternType: PatternType, operation: AclOperation, permission: AclPermission } as const;

/**
 * How the admin client logs in on a SASL listener. `password` may be, for SCRAM, the user's salted
 * password with its salt and iteration count instead of the password (ScramSecret): the API logs in
 * as a user that way, from the salted password it keeps sealed.
 */
export type SaslCredentials = { mechanism: ScramMechanismName; username: string; password: ScramSecret } | { mechanism: 'PLAIN'; username: string; password: string };

export interface AdminConnectOptions {
  clientId?: string;
  timeoutMs?: number;
  tls?: ConnectionOptions;
  sasl?: SaslCredentials;
}

/** A Kafka error code returned for one resource, as data: stable name, retriable flag, broker message. */
export class AdminError extends Error {
  readonly code: number;
  readonly errorName: string;
  readonly retriable: boolean;
  readonly resource: string;
  constructor(code: number, resource: string, message?: string | null) {
    const info = errorInfo(code);
    super(`${resource}: ${info.name}${message ? `: ${message}` : ''}`);
    this.name = 'AdminError';
    this.code = code;
    this.errorName = info.name;
    this.retriable = info.retriable;
    this.resource = resource;
  }
}

/** One partition's part of a Fetch answer: records as the broker sent them (whole batches, maybe a partial one last). */
export interface FetchedPartition {
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  records: Buffer | null;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs?: Record<string, string>;
}

export interface TopicMetadata {
  name: string;
  topicId: string;
  internal: boolean;
  partitions: { partition: number; leader: number; replicas: number[]; isr: number[] }[];
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: { memberId: string; clientId: string; host: string; assignment: Buffer }[];
}
