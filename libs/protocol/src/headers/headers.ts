import { DecodeError } from '../codec/decode-error.ts';
import { Reader } from '../codec/reader.ts';
import { Writer } from '../codec/writer.ts';
import { API_DEFINITIONS, ApiKey, type ApiDefinition } from '../generated/api-definitions.ts';
import { readRequestHeader, writeRequestHeader, type RequestHeader } from '../generated/messages/request-header.ts';
import { readResponseHeader, writeResponseHeader } from '../generated/messages/response-header.ts';
import type { Encodable } from '../codec/runtime.ts';

/** Request header version for an API version, exactly as Kafka chooses it. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  // ControlledShutdown v0 predates the client id in the header.
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0;
  return isFlexible(apiKey, apiVersion, 'request') ? 2 : 1;
}

/** Response header version; ApiVersions always answers with v0 so any client can read the error. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return isFlexible(apiKey, apiVersion, 'response') ? 1 : 0;
}

function isFlexible(apiKey: number, apiVersion: number, side: 'request' | 'response'): boolean {
  const def = API_DEFINITIONS.get(apiKey);
  if (!def) return false;
  const min = def[side].flexibleMin;
  return min >= 0 && apiVersion >= min;
}

/** The first eight bytes of every request header, whatever its version. */
export interface RequestPrefix {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
}

/** Reads the fixed prefix, so that even a request we cannot decode can be answered or logged. */
export function peekRequestPrefix(frame: Buffer): RequestPrefix | null {
  if (frame.length < 8) return null;
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
}

export interface DecodedRequest {
  header: RequestHeader;
  api: ApiDefinition;
  apiVersion: number;
  body: unknown;
  /** Byte offset where the body started (for logging and golden tests). */
  bodyOffset: number;
}

/** Decodes one request frame (without its size prefix): header, then the body for that API and version. */
export function decodeRequest(frame: Buffer): DecodedRequest {
  const prefix = peekRequestPrefix(frame);
  if (!prefix) throw new DecodeError('truncated', `request header needs 8 bytes, got ${frame.length}`, 0, ['header']);
  const api = API_DEFINITIONS.get(prefix.apiKey);
  if (!api) throw new DecodeError('unknown-api-key', `unknown API key ${prefix.apiKey}`, 0, ['header', 'requestApiKey']);
  if (prefix.apiVersion < api.request.minVersion || prefix.apiVersion > api.request.maxVersion) {
    const err = new DecodeError('unsupported-version', `${api.name} has no version ${prefix.apiVersion}`, 2, ['header', 'requestApiVersion']);
    err.api = api.request.name;
    err.version = prefix.apiVersion;
    throw err.locate();
  }
  const r = new Reader(frame);
  let header: RequestHeader;
  try {
    header = readRequestHeader(r, requestHeaderVersion(prefix.apiKey, prefix.apiVersion));
  } catch (err) {
    if (err instanceof DecodeError) err.path.unshift('header');
    throw err instanceof DecodeError ? err.locate() : err;
  }
  const bodyOffset = r.pos;
  const body = api.request.decode(r, prefix.apiVersion);
  return { header, api, apiVersion: prefix.apiVersion, body, bodyOffset };
}

/** A whole frame as chunks: 4-byte size prefix, header, body (large record buffers are not copied). */
function framed(w: Writer): Buffer[] {
  const chunks = w.chunks();
  const size = Buffer.allocUnsafe(4);
  size.writeInt32BE(w.length, 0);
  return [size, ...chunks];
}

export function encodeRequest(
  header: { apiKey: number; apiVersion: number; correlationId: number; clientId: string | null },
  body: unknown,
): Buffer[] {
  const api = API_DEFINITIONS.get(header.apiKey);
  if (!api) throw new Error(`unknown API key ${header.apiKey}`);
  const w = new Writer();
  writeRequestHeader(
    w,
    { requestApiKey: header.apiKey, requestApiVersion: header.apiVersion, correlationId: header.correlationId, clientId: header.clientId },
    requestHeaderVersion(header.apiKey, header.apiVersion),
  );
  api.request.encode(body as never, header.apiVersion, w);
  return framed(w);
}

export function encodeResponse(apiKey: number, apiVersion: number, correlationId: number, body: unknown): Buffer[] {
  const api = API_DEFINITIONS.get(apiKey);
  if (!api) throw new Error(`unknown API key ${apiKey}`);
  const w = new Writer();
  writeResponseHeader(w, { correlationId } as Encodable<never>, responseHeaderVersion(apiKey, apiVersion));
  api.response.encode(body as never, apiVersion, w);
  return framed(w);
}

/** Decodes a response frame (without its size prefix) for the request the caller sent. */
export function decodeResponse(frame: Buffer, apiKey: number, apiVersion: number): { correlationId: number; body: unknown } {
  const api = API_DEFINITIONS.get(apiKey);
  if (!api) throw new DecodeError('unknown-api-key', `unknown API key ${apiKey}`, 0);
  const r = new Reader(frame);
  const header = readResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
  return { correlationId: header.correlationId, body: api.response.decode(r, apiVersion) };
}
