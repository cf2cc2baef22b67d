import { describe, expect, it } from 'vitest';
import { readSse, type SseEvent } from './sse.ts';

const streamOf = (chunks: string[]) => new ReadableStream<Uint8Array>({
  start(c) { for (const s of chunks) c.enqueue(new TextEncoder().encode(s)); c.close(); },
});
async function all(chunks: string[]): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const ev of readSse(streamOf(chunks))) out.push(ev);
  return out;
}

describe('readSse', () => {
  it('reads events, ids and multi-line data, skipping comments', async () => {
    expect(await all(['event: start\ndata: {"a":1}\n\n: keep-alive\n\nid: 0:5\nevent: record\ndata: x\ndata: y\n\n'])).toEqual([
      { event: 'start', data: '{"a":1}', id: null },
      { event: 'record', data: 'x\ny', id: '0:5' },
    ]);
  });

  it('joins events split anywhere across chunks, including inside a UTF-8 character and a CRLF', async () => {
    const text = 'event: record\r\ndata: "grüße"\r\n\r\ndata: plain\r\n\r\n';
    const bytes = new TextEncoder().encode(text);
    const cut = text.indexOf('ü') + 1; // the second byte of ü
    const parts = [bytes.slice(0, cut), bytes.slice(cut, text.indexOf('\r\n\r\n') + 4), bytes.slice(text.indexOf('\r\n\r\n') + 4)];
    const stream = new ReadableStream<Uint8Array>({ start(c) { for (const p of parts) c.enqueue(p); c.close(); } });
    const out: SseEvent[] = [];
    for await (const ev of readSse(stream)) out.push(ev);
    expect(out).toEqual([{ event: 'record', data: '"grüße"', id: null }, { event: 'message', data: 'plain', id: null }]);
    expect(await all(['data: a\r', '\n\r', '\n'])).toEqual([{ event: 'message', data: 'a', id: null }]);
  });

  it('drops an event the stream cut before its blank line', async () => {
    expect(await all(['event: record\ndata: whole\n\nevent: end\ndata: {"cut"'])).toEqual([{ event: 'record', data: 'whole', id: null }]);
  });
});
