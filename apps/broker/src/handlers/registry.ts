import { ApiKey, ErrorCode, KafkaProtocolError, type ApiName, type DecodedRequest } from '@tributary/protocol';
import type { AnyApiModule, ApiModule, ApiRequest } from './api-module.ts';
import type { Handler, HandlerEntry } from './context.ts';
import { errorResponseFor } from './error-response.ts';
import { notCoordinatorAnswer } from './coordinator-guard.ts';

/**
 * The dispatcher of one API: the catch-up with the cluster's latest change for APIs that ask for
 * it, the coordinator check, the authorisation declared as `before`, then
 * the handler; a KafkaProtocolError the handler throws becomes the API's error response (Kafka's
 * AbstractRequest.getErrorResponse). Any other exception goes on to the connection, which answers
 * UNKNOWN_SERVER_ERROR and logs it.
 */
function dispatcher<N extends ApiName>(m: ApiModule<N>): HandlerEntry {
  const auth = m.authorization;
  const answer: Handler = (ctx, request, session) => {
    // decodeRequest decoded the body with this API's codec (the connection looked the module up by the same key).
    const typed = request as ApiRequest<N>;
    if (m.serves === 'group-coordinator') {
      const groupId = m.groupOf(typed);
      if (groupId !== null && !ctx.groups.coordinates(groupId)) return notCoordinatorAnswer(request);
    }
    if (auth.kind === 'before' && !auth.allowed(ctx, typed, session)) return errorResponseFor(request, auth.deniedCode);
    try {
      const out = m.handle(ctx, typed, session);
      return out instanceof Promise ? out.catch((err: unknown) => kafkaErrorAnswer(request, err)) : out;
    } catch (err) {
      return kafkaErrorAnswer(request, err);
    }
  };
  return {
    minVersion: m.minVersion,
    maxVersion: m.maxVersion,
    handle: m.readsLatest ? (ctx, request, session) => (ctx.cluster.clustered ? ctx.cluster.catchUp().then(() => answer(ctx, request, session)) : answer(ctx, request, session)) : answer,
  };
}

function kafkaErrorAnswer(request: DecodedRequest, err: unknown): unknown {
  if (!(err instanceof KafkaProtocolError)) throw err;
  // Produce with acks=0 is never answered, not even with an error.
  if (request.api.apiKey === ApiKey.Produce && (request as ApiRequest<'Produce'>).body.acks === 0) return undefined;
  // As Kafka: no message with UNKNOWN_SERVER_ERROR, so as not to leak internals.
  return errorResponseFor(request, err.code, err.code === ErrorCode.UNKNOWN_SERVER_ERROR ? null : err.message);
}

/**
 * The handler table the connection dispatches on, by API key, collected from the API modules;
 * ApiVersions advertises exactly this table's versions (see api-versions.ts).
 */
export function buildRegistry(modules: readonly AnyApiModule[], apiVersions: (table: ReadonlyMap<number, HandlerEntry>) => AnyApiModule): ReadonlyMap<number, HandlerEntry> {
  const table = new Map<number, HandlerEntry>();
  const add = (m: AnyApiModule) => {
    const key = ApiKey[m.api];
    if (table.has(key)) throw new Error(`two modules for ${m.api}`);
    table.set(key, dispatcher<ApiName>(m));
  };
  for (const m of modules) add(m);
  add(apiVersions(table));
  return table;
}
