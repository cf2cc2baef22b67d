import { describe, expect, it } from 'vitest';
import { SseParser, readEventStream, type SseEvent } from './sse.ts';

describe('the live tail\'s event-stream parser', () => {
  it('parses events split anywhere across chunks, with comments, ids and multi-line data', () => {
    const text = ': keep-alive\n\nevent: start\ndata: {"a":1}\n\nid: 0:5\nevent: record\ndata: line one\ndata: line two\n\ndata:no-space\n\n';
    // Every split point: a chunk boundary must never change what is parsed.
    for (let i = 0; i <= text.length; i++) {
      const p = new SseParser();
      const events = [...p.push(text.slice(0, i)), ...p.push(text.slice(i))];
      expect(events).toEqual([
        { event: 'start', data: '{"a":1}', id: null },
        { event: 'record', data: 'line one\nline two', id: '0:5' },
        { event: 'message', data: 'no-space', id: '0:5' },
      ]);
    }
  });

  it('accepts CR and CRLF line ends, and a CR split from its LF', () => {
    const p = new SseParser();
    expect(p.push('event: end\r\ndata: x\r')).toEqual([]);
    expect(p.push('\n\r\n')).toEqual([{ event: 'end', data: 'x', id: null }]);
    expect(new SseParser().push('data: y\r\rdata: w\n\n')).toEqual([{ event: 'message', data: 'y', id: null }, { event: 'message', data: 'w', id: null }]);
  });

  it('an event without data is dropped, and its name does not leak into the next one', () => {
    const p = new SseParser();
    expect(p.push('event: ping\n\ndata: z\n\n')).toEqual([{ event: 'message', data: 'z', id: null }]);
  });

  it('reads a fetch body to its end, and stops when aborted', async () => {
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(enc.encode('event: a\ndata: 1\n\nevent: b\nda')); c.enqueue(enc.encode('ta: 2\n\n')); c.close(); } });
    const seen: SseEvent[] = [];
    await readEventStream(body, (e) => seen.push(e));
    expect(seen.map((e) => `${e.event}=${e.data}`)).toEqual(['a=1', 'b=2']);

    // A stream that never ends: the abort ends the read.
    const ctl = new AbortController();
    const endless = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(enc.encode('event: a\ndata: 1\n\n')); } });
    const got: string[] = [];
    const reading = readEventStream(endless, (e) => { got.push(e.data); ctl.abort(); }, ctl.signal);
    await reading;
    expect(got).toEqual(['1']);
  });
});
