import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { ApiKey, decodeResponse, encodeRecordBatch, encodeRequest, FrameReader, type ProduceResponse } from '@tributary/protocol';
import { startBroker, type BrokerProcess } from '../support/broker-process.ts';

// Produce continuously with acks=-1 and fdatasync before every acknowledgement, kill -9 the broker
// at random points, restart it on the same data, and check that every acknowledged message is there,
// in order, exactly once, and that nothing else but messages we really sent appears.
const run = promisify(execFile);
const settings = { 'log.flush.interval.messages': '1', 'auto.create.topics.enable': 'true' };
let broker: BrokerProcess;

afterAll(async () => {
  await broker?.destroy();
});

/** Sends produce requests with up to 8 in flight until the connection dies; returns the acked values. */
function produceUntilDeath(port: number, firstValue: number, acked: number[], sent: Set<number>): Promise<number> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const frames = new FrameReader(1 << 20);
    const inFlight = new Map<number, number>();
    let next = firstValue;
    let correlation = 0;
    const sendOne = () => {
      const value = next++;
      const id = ++correlation;
      inFlight.set(id, value);
      sent.add(value);
      const batch = encodeRecordBatch({ records: [{ key: 'k', value: `m-${value}` }] });
      socket.write(Buffer.concat(encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 7, correlationId: id, clientId: 'durability' }, { acks: -1, timeoutMs: 5000, topicData: [{ name: 'durable', partitionData: [{ index: 0, records: batch }] }] })));
    };
    socket.on('connect', () => {
      for (let i = 0; i < 8; i++) sendOne();
    });
    socket.on('data', (chunk) => {
      for (const frame of frames.push(chunk)) {
        const { correlationId, body } = decodeResponse(frame, ApiKey.Produce, 7);
        const p = (body as ProduceResponse).responses[0]!.partitionResponses[0]!;
        if (p.errorCode === 0) acked.push(inFlight.get(correlationId)!);
        inFlight.delete(correlationId);
        sendOne();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(next));
  });
}

it('loses no acknowledged message across repeated kill -9', { timeout: 120_000 }, async () => {
  broker = await startBroker({ settings });
  await run('kcat', ['-L', '-b', broker.bootstrap, '-t', 'durable'], { timeout: 15_000 });
  const acked: number[] = [];
  const sent = new Set<number>();
  let next = 0;
  for (let round = 0; round < 4; round++) {
    const killAfterMs = 150 + Math.floor(Math.random() * 400);
    const producing = produceUntilDeath(broker.port, next, acked, sent);
    await new Promise((r) => setTimeout(r, killAfterMs));
    await broker.kill();
    next = await producing;
    broker = await broker.restart();
  }
  expect(acked.length).toBeGreaterThan(50);

  const { stdout } = await run('kcat', ['-C', '-b', broker.bootstrap, '-t', 'durable', '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeout: 60_000, maxBuffer: 64 << 20 });
  const stored = stdout.split('\n').filter(Boolean).map((s) => Number(s.replace('m-', '')));
  const storedSet = new Set(stored);
  // Every acknowledged message survived.
  expect(acked.filter((v) => !storedSet.has(v))).toEqual([]);
  // Nothing appears that was never sent, nothing twice, and per-connection order is kept.
  expect(stored.filter((v) => !sent.has(v))).toEqual([]);
  expect(storedSet.size).toBe(stored.length);
  expect(stored).toEqual([...stored].sort((a, b) => a - b));
});
