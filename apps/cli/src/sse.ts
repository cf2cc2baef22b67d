/**
 * A Server-Sent Events reader (the HTML living standard's event-stream format) over a fetch body:
 * `event:`, `data:` (several lines joined by "\n"), `id:`; comment lines (": keep-alive") and
 * `retry:` are skipped. Events are yielded as they complete (a blank line), so a tail prints each
 * record as it arrives. Only what the API's tail endpoint sends is needed; no reconnection here —
 * the caller decides where to resume from the `end` event's positions.
 */
export interface SseEvent { event: string; data: string; id: string | undefined }

export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  const take = (line: string): SseEvent | undefined => {
    if (line === '') {
      const done = data.length > 0 ? { event: event || 'message', data: data.join('\n'), id } : undefined;
      event = ''; data = []; id = undefined;
      return done;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
    return undefined;
  };
  const reader = body.getReader();
  for (;;) {
    const { value: chunk, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(chunk, { stream: true });
    // Lines end in \n, \r\n or \r; a lone \r at the end of a chunk may be half of a \r\n.
    for (;;) {
      const m = /\r\n|\n|\r(?!$)/.exec(buffer);
      if (!m) break;
      const line = buffer.slice(0, m.index);
      buffer = buffer.slice(m.index + m[0].length);
      const ev = take(line);
      if (ev) yield ev;
    }
  }
  // A stream that ends without the blank line after its last event: that event is incomplete and
  // dropped, as the standard says (the caller sees no `end` event and reports the cut).
}
