// The worker thread behind ArchiveWriter: runs writeArchive for each job, taking the job's files
// as the host sends them. An archive's reading, hashing, tar and encryption then run beside the
// host's walk, on the other core, and the host's event loop stays free.
import { parentPort } from 'node:worker_threads';
import { CancelledError } from '../cancel';
import { writeArchive } from './archive';
import { FILES_CROSS_MAX, type ArchiveReply, type ArchiveRequest } from './archiveProtocol';
import type { ManifestTail } from './types';
import type { FileInfo } from './walk';

/** Progress goes out at most this often: a full backup's thousands of files are not a message each. */
const PROGRESS_MS = 50;

/** Files of one job as they arrive, read by writeArchive as an async iterable. */
class FileQueue {
  private batches: FileInfo[][] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  push(files: FileInfo[]): void {
    this.batches.push(files);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  /** Ends the files with an error: a cancel must not wait for files that will never come. */
  fail(err: Error): void {
    this.failure ??= err;
    this.wake?.();
  }

  constructor(private readonly onTake: () => void) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<FileInfo> {
    for (;;) {
      if (this.failure) throw this.failure;
      const batch = this.batches.shift();
      if (batch) {
        this.onTake();
        yield* batch;
      }
      else if (this.ended) return;
      else await new Promise<void>((r) => (this.wake = r));
    }
  }
}

const jobs = new Map<number, { queue: FileQueue; abort: AbortController; tail: ManifestTail }>();
const reply = (m: ArchiveReply) => parentPort!.postMessage(m);

function start(m: Extract<ArchiveRequest, { t: 'start' }>): void {
  const job: { queue: FileQueue; abort: AbortController; tail: ManifestTail } = {
    queue: new FileQueue(() => reply({ t: 'took', job: m.job })),
    abort: new AbortController(),
    tail: { deleted: [], dirs: [], skipped: [] },
  };
  jobs.set(m.job, job);
  let files = 0;
  let last = 0;
  writeArchive(job.queue, m.out, {
    backupId: m.backupId,
    key: m.key ? Buffer.from(m.key) : undefined,
    level: m.level,
    codec: m.codec,
    record: m.record,
    tail: () => job.tail,
    signal: job.abort.signal,
    onFile: (_f, bytes) => {
      files++;
      const now = performance.now();
      if (now - last < PROGRESS_MS) return;
      last = now;
      reply({ t: 'progress', job: m.job, files, bytes });
    },
  }).then(
    // Many files cross as the catalog's packed manifest only: as objects they were one more
    // copy (100,000 files, ~30 MB) on each side of the thread.
    // An incremental's files are its changes, which the host applies to the tree it holds.
    ({ files: list, ...r }) => reply({ t: 'done', job: m.job, ...r, ...(list && (list.length <= FILES_CROSS_MAX || m.record.type === 'INCREMENTAL') ? { files: list } : {}) }),
    (err: NodeJS.ErrnoException) => reply({ t: 'failed', job: m.job, name: err.name, message: err.message, code: err.code }),
  ).finally(() => jobs.delete(m.job));
}

parentPort!.on('message', (m: ArchiveRequest) => {
  switch (m.t) {
    case 'start':
      return start(m);
    case 'files':
      return jobs.get(m.job)?.queue.push(m.files);
    case 'end': {
      const job = jobs.get(m.job);
      if (job) job.tail = m.tail;
      return job?.queue.end();
    }
    case 'cancel': {
      const job = jobs.get(m.job);
      job?.abort.abort();
      return job?.queue.fail(new CancelledError());
    }
  }
});
