import type { ApiMessages, ApiName, DecodedRequest, Encodable } from '@tributary/protocol';
import type { BrokerContext, RequestSession } from './context.ts';

/** A decoded request whose body has its API's generated type. */
export type ApiRequest<N extends ApiName> = Omit<DecodedRequest, 'body'> & { body: ApiMessages[N]['request'] };

/** What a handler answers: the API's generated response type (fields left out take their defaults). */
export type ApiResponse<N extends ApiName> = Encodable<ApiMessages[N]['response']>;

/**
 * Which broker may answer: any broker, or only the coordinator of the group `groupOf` names (the
 * leader of the group's `__consumer_offsets` partition); elsewhere the dispatcher answers
 * NOT_COORDINATOR and the client looks the coordinator up again. `groupOf` null: the request
 * names several groups, and the handler answers NOT_COORDINATOR for each group this broker does
 * not coordinate.
 */
export type Routing<N extends ApiName> = { readonly serves: 'any-broker' } | { readonly serves: 'group-coordinator'; groupOf(request: ApiRequest<N>): string | null };

/**
 * How an API is authorised. `before` APIs concern one resource and have one error code: the
 * dispatcher checks them before the handler and answers the API's error response with
 * `deniedCode`. `per-resource` APIs name many resources (topics, partitions, groups) and fail
 * only the denied ones inside their handler, as Kafka does; `acl` says which ACL they check.
 */
export type Authorization<N extends ApiName> =
  | { kind: 'before'; acl: string; allowed(ctx: BrokerContext, request: ApiRequest<N>, session: RequestSession): boolean; deniedCode: number }
  | { kind: 'per-resource'; acl: string }
  | { kind: 'none'; why: string };

/** One Kafka API as this broker implements it: the registry (registry.ts) collects these. */
export type ApiModule<N extends ApiName> = ApiModuleBase<N> & Routing<NoInfer<N>>;

interface ApiModuleBase<N extends ApiName> {
  readonly api: N;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** NoInfer: the API's name alone decides N; an authorization shared by several APIs must not widen it. */
  readonly authorization: Authorization<NoInfer<N>>;
  /**
   * The API reads or rewrites state every broker keeps a copy of (configs, ACLs, quotas, SCRAM
   * users), which another broker may have changed a moment ago: the dispatcher first brings this
   * broker's copy up to date (ClusterMetadata.catchUp), so an admin client that writes through one
   * broker and reads through another sees its write, and a change is never computed from a stale copy.
   */
  readonly readsLatest?: true;
  /**
   * The response body, or undefined when the request gets none (Produce acks=0). A handler that
   * cannot answer throws a KafkaProtocolError: the dispatcher turns it into the API's error response.
   */
  handle(ctx: BrokerContext, request: ApiRequest<N>, session: RequestSession): ApiResponse<N> | undefined | Promise<ApiResponse<N> | undefined>;
}

/** Any API's module (the registry's element type). */
export type AnyApiModule = { [N in ApiName]: ApiModule<N> }[ApiName];

/** Declares a module; the type parameter ties request and response types to the API's name. */
export function defineApi<N extends ApiName>(module: ApiModule<N>): ApiModule<N> {
  return module;
}
