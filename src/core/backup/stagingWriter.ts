import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { encodeOps, type StagingOp, type StagingReply } from './stagingOps';

const RING = 4 * 1024 * 1024;
/** Pieces are at most this big, so one always fits once the worker has caught up. */
const MAX_PIECE = RING / 4;

/**
 * Writes the files of a restore into the staging folder on a worker thread, so that creating
 * and writing thousands of files (most of a restore's system time) runs on the other core while
 * this thread decrypts, parses and hashes. Bytes travel through one shared ring buffer, copied
 * in once and written out from there: no buffer per file, no structured clone, and memory stays
 * at the ring's 4 MB however far the worker falls behind. Operations run in the order given.
 * The worker also hashes each file as it writes it (`sha256Of` once finished): that too is
 * work this thread no longer does.
 */
export class StagingWriter {
  private readonly worker: Worker;
  private readonly ring = new SharedArrayBuffer(RING);
  private readonly view = Buffer.from(this.ring);
  private produced = 0;
  private consumed = 0;
  private batch: StagingOp[] = [];
  private posting = false;
  /** Messages the worker has not answered yet. */
  private posted = 0;
  /** Operations waiting for room in the ring; everything after the first waits too, to keep order. */
  private held: { op: StagingOp; chunk?: Buffer }[] = [];
  private nextId = 0;
  private failure: Error | undefined;
  private stopping = false;
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private done: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private readonly hashes = new Map<number, string>();

  constructor() {
    this.worker = new Worker(path.join(__dirname, 'stagingWorker.js'), { workerData: { ring: this.ring } });
    this.worker.on('message', (m: StagingReply) => this.onReply(m));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.stopping) this.fail(new Error(`The restore's file writer stopped unexpectedly (exit code ${code}).`));
    });
  }

  /** Starts a file at `dest` (removing what an earlier backup of the chain staged there when `replace`). */
  open(dest: string, replace: boolean): number {
    const id = this.nextId++;
    this.queue({ t: 'open', id, path: dest, replace });
    return id;
  }

  /**
   * Queues bytes of file `id`; they are copied, so the caller may drop `chunk`. False means the
   * ring is full: wait for `room()` before giving more.
   */
  write(id: number, chunk: Buffer): boolean {
    if (this.failure) throw this.failure;
    for (let off = 0; off < chunk.length; off += MAX_PIECE) {
      const piece = chunk.subarray(off, off + MAX_PIECE);
      this.queue({ t: 'data', id, at: 0, skip: 0, n: piece.length }, piece);
    }
    return this.held.length === 0;
  }

  /** Ends file `id`, giving it its mode and modification time. */
  close(id: number, mode: number, mtimeMs: number): void {
    this.queue({ t: 'close', id, mode, mtimeMs });
  }

  remove(dest: string): void {
    this.queue({ t: 'remove', path: dest });
  }

  /** The sha256 of file `id` as written, once `finish()` has resolved. */
  sha256Of(id: number): string | undefined {
    return this.hashes.get(id);
  }

  /** Resolves once the ring has taken everything queued so far. */
  room(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.held.length) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
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
    await this.worker.terminate();
  }

  private queue(op: StagingOp, chunk?: Buffer): void {
    if (this.held.length || (chunk && !this.place(op, chunk))) this.held.push({ op, chunk });
    else this.push(op);
  }

  /** Copies `chunk` into the ring if there is room for it in one piece, and says where. */
  private place(op: StagingOp, chunk: Buffer): boolean {
    let at = this.produced % RING;
    // A piece never wraps around the ring's end: the rest of the ring is skipped instead.
    const skip = at + chunk.length > RING ? RING - at : 0;
    if (this.produced + skip + chunk.length - this.consumed > RING) return false;
    if (skip) at = 0;
    chunk.copy(this.view, at);
    Object.assign(op, { at, skip });
    this.produced += skip + chunk.length;
    return true;
  }

  private push(op: StagingOp): void {
    this.batch.push(op);
    this.schedulePost();
  }

  /**
   * Everything queued in this turn goes over as one message; while the worker already has two
   * to do, operations gather until it answers, so messages stay few and large.
   */
  private schedulePost(): void {
    if (this.posting || this.posted >= 2 || !this.batch.length) return;
    this.posting = true;
    setImmediate(() => {
      this.posting = false;
      if (!this.batch.length || this.stopping) return;
      this.worker.postMessage(encodeOps(this.batch));
      this.posted++;
      this.batch = [];
    });
  }

  private onReply(m: StagingReply): void {
    if ('error' in m) return this.fail(Object.assign(new Error(m.error.message), { code: m.error.code }));
    this.consumed = m.consumed;
    this.posted--;
    for (const [id, hash] of m.hashes) this.hashes.set(id, hash);
    while (this.held.length) {
      const h = this.held[0];
      if (h.chunk && !this.place(h.op, h.chunk)) break;
      this.held.shift();
      this.push(h.op);
    }
    this.schedulePost();
    if (!this.held.length) for (const w of this.waiters.splice(0)) w.resolve();
    if (m.done) this.done?.resolve();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
    this.done?.reject(err);
    void this.stop();
  }
}
