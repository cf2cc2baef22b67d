/**
 * A Server-Sent Events parser for the API's live tail, shared by the CLI (Node) and the console
 * (browser). The browser's EventSource cannot send an Authorization header, and the API key must
 * not go into a URL (it would land in logs and history), so both read the tail with fetch() and
 * parse its body here, per the WHATWG "event stream" rules the API's tail uses: `event:`, `data:`
 * (joined by newlines), `id:`, comments (`:`) and `retry:` skipped, events ended by a blank line,
 * CR, LF or CRLF line ends. No reconnection: the caller resumes from the `end` event's positions.
 */
export interface SseEvent { event: string; data: string; id: string | null }

export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #id: string | null = null;

  /** Feeds a chunk of text; returns the events it completed (a partial line waits for the next chunk). */
  push(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.#buffer);
      // A lone CR at the end may be the first half of CRLF: wait for more.
      if (!m || (m[0] === '\r' && m.index === this.#buffer.length - 1)) break;
      const line = this.#buffer.slice(0, m.index);
      this.#buffer = this.#buffer.slice(m.index + m[0].length);
      const done = this.#line(line);
      if (done) out.push(done);
    }
    return out;
  }

  #line(line: string): SseEvent | null {
    if (line === '') {
      if (this.#data.length === 0) { this.#event = ''; return null; }
      const e = { event: this.#event || 'message', data: this.#data.join('\n'), id: this.#id };
      this.#event = '';
      this.#data = [];
      return e;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    return null;
  }
}

/**
 * The events of a fetch() body as they complete, so a tail prints each record as it arrives. A
 * stream that ends without the blank line after its last event: that event is incomplete and
 * dropped, as the standard says (the caller sees no `end` event and reports the cut).
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const reader = body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    yield* parser.push(decoder.decode(value, { stream: true }));
  }
}

/**
 * Reads an event stream from a fetch() body until it ends or `signal` aborts, calling `onEvent`
 * for each event. Resolves when the server closes the stream; an abort resolves too (the caller
 * asked for it).
 */
export async function readEventStream(body: ReadableStream<Uint8Array>, onEvent: (e: SseEvent) => void, signal?: AbortSignal): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>).getReader();
  const parser = new SseParser();
  const stop = () => void reader.cancel().catch(() => {});
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read().catch((err: unknown) => {
        if (signal?.aborted) return { done: true as const, value: undefined };
        throw err;
      });
      if (done) return;
      for (const e of parser.push(value)) onEvent(e);
    }
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}
