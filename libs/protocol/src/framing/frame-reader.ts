import { DecodeError } from '../codec/decode-error.ts';

/**
 * Splits a TCP byte stream into Kafka frames (4-byte big-endian size, then that many bytes).
 * It never holds more than one frame of at most `maxFrameSize` bytes plus the next size prefix:
 * a peer that claims a larger or negative size gets a typed error before anything is buffered for it.
 */
export class FrameReader {
  readonly maxFrameSize: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Size of the frame being assembled, or -1 while the size prefix is incomplete. */
  #expected = -1;

  constructor(maxFrameSize: number) {
    this.maxFrameSize = maxFrameSize;
  }

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.#pendingBytes;
  }

  /** Feeds a chunk; returns every frame it completes (slices of the input where possible). */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let offset = 0;
    // Fast path: nothing pending, whole frames inside this chunk need no copy.
    while (this.#pendingBytes === 0 && this.#expected < 0 && chunk.length - offset >= 4) {
      const size = this.#checkSize(chunk.readInt32BE(offset));
      if (chunk.length - offset - 4 < size) break;
      frames.push(chunk.subarray(offset + 4, offset + 4 + size));
      offset += 4 + size;
    }
    if (offset === chunk.length) return frames;
    this.#pending.push(offset === 0 ? chunk : chunk.subarray(offset));
    this.#pendingBytes += chunk.length - offset;
    for (;;) {
      if (this.#expected < 0) {
        if (this.#pendingBytes < 4) return frames;
        this.#expected = this.#checkSize(this.#take(4).readInt32BE(0));
      }
      if (this.#pendingBytes < this.#expected) return frames;
      frames.push(this.#take(this.#expected));
      this.#expected = -1;
    }
  }

  #checkSize(size: number): number {
    if (size < 0) throw new DecodeError('negative-length', `frame size ${size}`, 0, ['size']);
    if (size > this.maxFrameSize) throw new DecodeError('length-exceeds-buffer', `frame of ${size} bytes exceeds the maximum of ${this.maxFrameSize}`, 0, ['size']);
    return size;
  }

  /** Removes `n` bytes from the front of the pending chunks. */
  #take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.#pending[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#pending.shift();
      else this.#pending[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const head = this.#pending[0]!;
        const used = Math.min(head.length, n - filled);
        head.copy(out, filled, 0, used);
        filled += used;
        if (used === head.length) this.#pending.shift();
        else this.#pending[0] = head.subarray(used);
      }
    }
    this.#pendingBytes -= n;
    return out;
  }
}
