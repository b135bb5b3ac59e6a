import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ByteRing } from './byteRing';
import { encodeOps, type StagingOp, type StagingReply } from './stagingOps';

const RING = 4 * 1024 * 1024;

/**
 * Writes the files of a restore into the staging folder on a worker thread, so that creating
 * and writing thousands of files (most of a restore's system time) runs on the other core while
 * this thread reads, decrypts, inflates and parses. The archive is inflated into `ring`, shared
 * with the worker, which writes file data from where it lies: no copy, no buffer per file, no
 * structured clone, and memory stays at the ring's 4 MB however far the worker falls behind
 * (the ring's `space` waits for it). Operations run in the order given. The worker can hash
 * what it writes, too (each sha256 handed to the file's `hashed` as the worker reports it, all
 * of them by the time `finish()` resolves): asked for while it keeps up, so that the two
 * threads share the work whichever of them the machine makes the slower.
 */
export class StagingWriter {
  readonly ring = new ByteRing(RING, true);
  private readonly worker: Worker;
  private batch: StagingOp[] = [];
  private posting = false;
  /** Messages the worker has not answered yet. */
  private posted = 0;
  /** Ring positions [start, end) of data the worker has been given but not yet written, oldest first. */
  private pending: number[] = [];
  private pendingFrom = 0;
  private nextId = 0;
  private failure: Error | undefined;
  private stopping = false;
  private done: { resolve: () => void; reject: (err: Error) => void } | undefined;
  /** The files the worker hashes and has not reported yet: only as many as it lags behind, not every file. */
  private readonly hashed = new Map<number, (sha256: string) => void>();

  constructor() {
    // Its young generation small: V8 grows one to 64 MB and more while the worker's batches of
    // paths outlive a scavenge, all of it resident; 4 MB took 80 MB off a restore's peak of 100,000 files (bench/README.md).
    this.worker = new Worker(path.join(__dirname, 'stagingWorker.js'), { workerData: { ring: this.ring.bytes.buffer }, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    this.worker.on('message', (m: StagingReply) => this.onReply(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.stopping) this.fail(new Error(`The restore's file writer stopped unexpectedly (exit code ${code}).`));
    });
    // The ring may not reuse bytes the worker has yet to write.
    this.ring.holdFrom = () => (this.pendingFrom < this.pending.length ? this.pending[this.pendingFrom] : Infinity);
  }

  /**
   * Starts a file at `dest` with `mode` (removing what an earlier backup of the chain staged
   * there when `replace`); when `hashed` is given, the worker hashes it and `hashed` is told
   * the sha256 once the file is written.
   */
  open(dest: string, replace: boolean, mode: number, hashed?: (sha256: string) => void): number {
    const id = this.nextId++;
    if (hashed) this.hashed.set(id, hashed);
    this.queue({ t: 'open', id, path: dest, replace, hash: !!hashed, mode });
    return id;
  }

  /** Whether the worker has more than half the ring still to write: then it has enough to do. */
  behind(): boolean {
    return this.ring.head - this.ring.holdFrom() > this.ring.size / 2;
  }

  /** Appends to file `id` the `n` ring bytes from position `pos`, which stay put until the worker has written them. */
  write(id: number, pos: number, n: number): void {
    if (this.failure) throw this.failure;
    this.pending.push(pos, pos + n);
    this.queue({ t: 'data', id, at: pos % this.ring.size, n, end: pos + n });
  }

  /** Ends file `id`, giving it its modification time. */
  close(id: number, mtimeMs: number): void {
    this.queue({ t: 'close', id, mtimeMs });
  }

  remove(dest: string): void {
    this.queue({ t: 'remove', path: dest });
  }

  /** Resolves once every file is written and closed; rejects with the first failure. */
  async finish(): Promise<void> {
    if (this.failure) throw this.failure;
    const finished = new Promise<void>((resolve, reject) => (this.done = { resolve, reject }));
    this.queue({ t: 'end' });
    try {
      await finished;
    } finally {
      await this.stop();
    }
  }

  /** Stops the worker at once; after this nothing more is written. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.ring.fail(this.failure ?? new Error('The restore stopped writing files.'));
    await this.worker.terminate();
  }

  private queue(op: StagingOp): void {
    if (this.failure) throw this.failure;
    this.batch.push(op);
    this.schedulePost();
  }

  /**
   * Everything queued in this turn (a region's files, parsed in one go) goes over as one
   * message; while the worker already has two to do, operations gather until it answers.
   */
  private schedulePost(): void {
    if (this.posting || this.posted >= 2 || !this.batch.length) return;
    this.posting = true;
    queueMicrotask(() => {
      this.posting = false;
      if (!this.batch.length || this.stopping) return;
      this.worker.postMessage(encodeOps(this.batch));
      this.posted++;
      this.batch = [];
    });
  }

  private onReply(m: StagingReply): void {
    if ('error' in m) return this.fail(Object.assign(new Error(m.error.message), { code: m.error.code }));
    this.posted--;
    for (const [id, hash] of m.hashes) {
      const told = this.hashed.get(id);
      this.hashed.delete(id);
      told?.(hash);
    }
    while (this.pendingFrom < this.pending.length && this.pending[this.pendingFrom + 1] <= m.consumed) this.pendingFrom += 2;
    if (this.pendingFrom > 4096) {
      this.pending = this.pending.slice(this.pendingFrom);
      this.pendingFrom = 0;
    }
    this.ring.wake();
    this.schedulePost();
    if (m.done) this.done?.resolve();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.ring.fail(err);
    this.done?.reject(err);
    void this.stop();
  }
}
