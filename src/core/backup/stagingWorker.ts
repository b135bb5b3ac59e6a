// The worker thread behind StagingWriter: creates and writes a restore's staged files, taking
// their bytes from the shared ring. Synchronous calls: this thread has nothing else to do.
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeOps, type StagingBatch, type StagingOp, type StagingReply } from './stagingOps';

const ring = new Uint8Array((workerData as { ring: SharedArrayBuffer }).ring);
/** Open files by id, with the mode they were created with (before the umask), and their hash if asked for. */
const files = new Map<number, { fd: number; mode: number; hash?: Hash }>();
let hashes: [number, string][] = [];
const madeDirs = new Set<string>();
// A file created with its final mode needs no chmod, unless the umask takes bits from it.
const umask = process.umask();
let consumed = 0;
let failed = false;

const reply = (m: StagingReply) => parentPort!.postMessage(m);

function run(op: StagingOp): void {
  switch (op.t) {
    case 'open': {
      const dir = path.dirname(op.path);
      if (!madeDirs.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        madeDirs.add(dir);
      }
      // An earlier backup of the chain may have staged it, read-only perhaps, or staged a folder
      // there that the chain has since emptied (a folder that became a file).
      if (op.replace) fs.rmSync(op.path, { force: true, recursive: true });
      const mode = op.mode & 0o777;
      files.set(op.id, { fd: fs.openSync(op.path, 'wx', mode), mode, hash: op.hash ? createHash('sha256') : undefined });
      return;
    }
    case 'data': {
      const { fd, hash } = files.get(op.id)!;
      hash?.update(ring.subarray(op.at, op.at + op.n));
      for (let at = op.at, left = op.n; left > 0; ) {
        const n = fs.writeSync(fd, ring, at, left);
        at += n;
        left -= n;
      }
      consumed = op.end;
      return;
    }
    case 'close': {
      const { fd, mode, hash } = files.get(op.id)!;
      files.delete(op.id);
      if (hash) hashes.push([op.id, hash.digest('hex')]);
      try {
        // Mode and time through the open file: no second lookup of the path.
        if (mode & umask) fs.fchmodSync(fd, mode);
        fs.futimesSync(fd, op.mtimeMs / 1000, op.mtimeMs / 1000);
      } finally {
        fs.closeSync(fd);
      }
      return;
    }
    case 'remove':
      fs.rmSync(op.path, { force: true });
      return;
    case 'end':
      return;
  }
}

parentPort!.on('message', (batch: StagingBatch) => {
  if (failed) return;
  try {
    let ended = false;
    for (const op of decodeOps(batch)) {
      run(op);
      ended = op.t === 'end';
    }
    reply({ consumed, hashes, done: ended });
    hashes = [];
  } catch (err) {
    failed = true;
    for (const f of files.values()) fs.closeSync(f.fd);
    const e = err as NodeJS.ErrnoException;
    reply({ error: { message: e.message, code: e.code } });
  }
});
