/**
 * A fixed buffer that a restore's inflated tar bytes pass through: inflated straight into it,
 * parsed where they lie, and written to files from it (by a worker, when the buffer is shared).
 * No buffer per piece means no page faults and no garbage for ~200 MB of bytes, which cost a
 * restore more time than inflating them. Positions count every byte ever produced; a region
 * never wraps around the end (the rest of the buffer is skipped instead), so a position `p`
 * lies at `p % size`.
 */
export class ByteRing {
  readonly bytes: Buffer;
  /** Bytes produced so far: the next region starts here. */
  head = 0;
  private parsed = 0;
  private waiting: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private failure: Error | undefined;
  /** The earliest position someone besides the parser still reads (a worker writing from the ring). */
  holdFrom: () => number = () => Infinity;

  constructor(
    readonly size: number,
    shared = false,
  ) {
    this.bytes = Buffer.from(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
  }

  /** Where the next region goes and how long it may be (at least `min`): waits until that much is free. */
  async space(min: number): Promise<{ at: number; len: number }> {
    for (;;) {
      if (this.failure) throw this.failure;
      const toEnd = this.size - (this.head % this.size);
      const skip = toEnd < min ? toEnd : 0;
      const free = Math.min(this.parsed, this.holdFrom());
      const room = this.size - (this.head + skip - free);
      if (room >= min) {
        this.head += skip;
        const at = this.head % this.size;
        return { at, len: Math.min(room, this.size - at) };
      }
      await new Promise<void>((resolve, reject) => (this.waiting = { resolve, reject }));
    }
  }

  /** `n` bytes were written where `space` said; returns the region as a view and its position. */
  commit(n: number): { view: Buffer; pos: number } {
    const pos = this.head;
    const at = pos % this.size;
    this.head += n;
    return { view: this.bytes.subarray(at, at + n), pos };
  }

  /** The parser is done with everything produced so far. */
  parsedAll(): void {
    this.parsed = this.head;
    this.wake();
  }

  /** Something that held bytes let go of some: a waiting `space` looks again. */
  wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.resolve();
  }

  /** Ends all waiting with `err`: whoever frees space has failed or the work was cancelled. */
  fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(this.failure);
  }
}
