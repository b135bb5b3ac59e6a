import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { GardenerError, isGardenerErrorCode } from '../errors';
import type { ArchiveResult, WriteOptions } from './archive';
import type { ArchiveReply, ArchiveRequest } from './archiveProtocol';
import type { FileInfo } from './walk';

/** What `writeArchive` takes, with progress as counts of files and bytes so far (what crosses from the worker). */
export type ArchiveJob = Omit<WriteOptions, 'onFile'> & { onProgress?: (files: number, bytes: number) => void };

interface Pending {
  worker: Worker;
  resolve: (r: ArchiveResult) => void;
  reject: (err: Error) => void;
  onProgress?: (files: number, bytes: number) => void;
  /** Batches sent and not yet taken by the worker. */
  sent: number;
  /** Wakes the sender when the worker takes a batch. */
  took?: () => void;
}

/**
 * Batches sent ahead of the worker's reading: a walk finds files far faster than they are
 * archived, and unbounded, all 100,000 files of a big tree waited in the worker's queue.
 */
const AHEAD = 4;

const YOUNG_MB = 4;

/** Files per message when the whole list is known at once (a full backup's 5,000 are ten messages). */
const BATCH = 500;

/**
 * Writes archives (`writeArchive`) on a worker thread of its own, so a backup's reading, hashing,
 * tar and encryption run on the other core while this thread walks the data directory, and the
 * extension host's event loop stays free however big the backup. One worker serves every backup
 * of the process: it starts with the first backup (~60–90 ms here) and then waits, idle and
 * unreferenced, for the next one, since starting it again for each backup would cost more than
 * most incrementals take. `stop()` ends it.
 */
export class ArchiveWriter {
  private worker: Worker | undefined;
  private nextJob = 1;
  private readonly jobs = new Map<number, Pending>();

  private spawn(): Worker {
    // A small young generation: the worker makes short-lived objects per file and per member,
    // and V8 let its young generation grow to 32 MB (of ~45 MB of heap) on a 100,000-file backup;
    // at 4 MB, more frequent scavenges cost no measurable time (bench/README.md).
    const worker = new Worker(path.join(__dirname, 'archiveWorker.js'), { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB } });
    worker.on('message', (m: ArchiveReply) => this.onReply(m));
    // Its jobs fail with it; a later job starts a new worker.
    const lost = (err: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const [job, p] of this.jobs) {
        if (p.worker !== worker) continue;
        this.jobs.delete(job);
        p.reject(err);
      }
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`The backup worker stopped (exit code ${code}).`)));
    return worker;
  }

  private onReply(m: ArchiveReply): void {
    const p = this.jobs.get(m.job);
    if (!p) return;
    if (m.t === 'progress') return p.onProgress?.(m.files, m.bytes);
    if (m.t === 'took') {
      p.sent--;
      return p.took?.();
    }
    this.jobs.delete(m.job);
    if (m.t === 'done') return p.resolve({ ...(m.files ? { files: m.files } : {}), fileCount: m.fileCount, manifestFile: Buffer.from(m.manifestFile), sha256: m.sha256, size: m.size });
    // Only the fields cross the thread, so the error is made again here: ours with its code
    // (and so its class), others with their name and errno code.
    if (isGardenerErrorCode(m.code)) return p.reject(new GardenerError(m.message, m.code));
    const err = new Error(m.message) as NodeJS.ErrnoException;
    err.name = m.name;
    if (m.code) err.code = m.code;
    p.reject(err);
  }

  /**
   * Writes `files` into the archive `out`, as `writeArchive` does, taking batches from an async
   * source as they come. If the source fails or `signal` fires, the job is cancelled and the
   * partial file removed before this rejects.
   */
  async write(files: FileInfo[] | AsyncIterable<FileInfo[]>, out: string, o: ArchiveJob): Promise<ArchiveResult> {
    const worker = (this.worker ??= this.spawn());
    const job = this.nextJob++;
    const post = (m: ArchiveRequest): void => worker.postMessage(m);
    let pending: Pending | undefined;
    const result = new Promise<ArchiveResult>((resolve, reject) => this.jobs.set(job, (pending = { worker, resolve, reject, onProgress: o.onProgress, sent: 0 })));
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    const send = async (files: FileInfo[]): Promise<void> => {
      const p = pending!;
      // Once the job has ended (failed, cancelled), nothing more is taken: stop waiting.
      while (p.sent >= AHEAD && this.jobs.get(job) === p) await Promise.race([new Promise<void>((r) => (p.took = r)), settled]);
      if (this.jobs.get(job) !== p) return;
      p.sent++;
      post({ t: 'files', job, files });
    };
    // Referenced while it has work, so the process waits for it; idle, it must not keep a
    // process (a test run, a script) alive.
    worker.ref();
    void result.catch(() => undefined).finally(() => [...this.jobs.values()].some((p) => p.worker === worker) || worker.unref());
    const cancel = (): void => post({ t: 'cancel', job });
    o.signal?.addEventListener('abort', cancel);
    void result.catch(() => undefined).finally(() => o.signal?.removeEventListener('abort', cancel));
    post({ t: 'start', job, out, backupId: o.backupId, record: o.record, key: o.key, level: o.level, codec: o.codec });
    try {
      if (Array.isArray(files)) {
        for (let i = 0; i < files.length; i += BATCH) await send(files.slice(i, i + BATCH));
      } else {
        for await (const batch of files) if (batch.length) await send(batch);
      }
      post({ t: 'end', job, tail: o.tail() });
    } catch (err) {
      // The walk failed (or found no room): the worker drops the job and its partial file first.
      cancel();
      await result.catch(() => undefined);
      throw err;
    }
    return result.catch((err: Error) => {
      // A worker that died mid-job could not remove what it had written.
      fs.rmSync(out, { force: true });
      throw err;
    });
  }

  /**
   * Starts the worker if none is running, so that it loads while the caller walks its folders;
   * unreferenced until a job comes, so that it never keeps a process alive by itself.
   */
  warm(): void {
    if (this.worker) return;
    this.worker = this.spawn();
    this.worker.unref();
  }

  /** Ends the worker; a later `write` starts a new one. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}

/** The process's one archive writer: every backup manager shares its worker. */
export const archiveWriter = new ArchiveWriter();
