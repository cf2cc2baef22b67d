/** Stable codes of everything that can be wrong with bytes a peer sent. */
export type DecodeErrorCode =
  | 'truncated'
  | 'negative-length'
  | 'length-exceeds-buffer'
  | 'invalid-varint'
  | 'invalid-value'
  | 'unknown-api-key'
  | 'unsupported-version'
  | 'trailing-bytes';

/**
 * A decode failure as data: what went wrong, where (API, version and the field path such as
 * `topics[2].partitions[0].records`) and at which byte.
 */
export class DecodeError extends Error {
  readonly code: DecodeErrorCode;
  /** Path segments, outermost first; array elements are written `name[i]`. */
  readonly path: string[];
  readonly offset: number;
  /** What is wrong, without the location. */
  readonly detail: string;
  api: string | undefined;
  version: number | undefined;

  constructor(code: DecodeErrorCode, detail: string, offset: number, path: string[] = []) {
    super(detail);
    this.name = 'DecodeError';
    this.code = code;
    this.offset = offset;
    this.path = path;
    this.detail = detail;
    this.locate();
  }

  get fieldPath(): string {
    return this.path.join('.');
  }

  /** Rewrites `message` once the API, version and path are known (they are filled in as the error unwinds). */
  locate(): this {
    const where = [this.api && `${this.api}${this.version === undefined ? '' : ` v${this.version}`}`, this.fieldPath].filter(Boolean).join(' ');
    this.message = `${where ? `${where}: ` : ''}${this.detail} (${this.code} at byte ${this.offset})`;
    return this;
  }
}

/** Thrown when a message cannot be encoded in the requested version (Kafka's UnsupportedVersionException). */
export class EncodeError extends Error {
  readonly code: 'unsupported-field' | 'unsupported-version' | 'invalid-value';
  constructor(code: EncodeError['code'], message: string) {
    super(message);
    this.name = 'EncodeError';
    this.code = code;
  }
}
