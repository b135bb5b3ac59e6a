// The worker thread behind StagingWriter: creates and writes a restore's staged files, taking
// their bytes from the shared ring. Synchronous calls: this thread has nothing else to do.
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeOps, type StagingBatch, type StagingOp, type StagingReply } from './stagingOps';

const ring = new Uint8Array((workerData as { ring: SharedArrayBuffer }).ring);
const files = new Map<number, { fd: number; hash: Hash }>();
let hashes: [number, string][] = [];
const madeDirs = new Set<string>();
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
      // An earlier backup of the chain may have staged it, read-only perhaps.
      if (op.replace) fs.rmSync(op.path, { force: true });
      files.set(op.id, { fd: fs.openSync(op.path, 'wx', 0o600), hash: createHash('sha256') });
      return;
    }
    case 'data': {
      const { fd, hash } = files.get(op.id)!;
      hash.update(ring.subarray(op.at, op.at + op.n));
      for (let at = op.at, left = op.n; left > 0; ) {
        const n = fs.writeSync(fd, ring, at, left);
        at += n;
        left -= n;
      }
      consumed += op.skip + op.n;
      return;
    }
    case 'close': {
      const { fd, hash } = files.get(op.id)!;
      files.delete(op.id);
      hashes.push([op.id, hash.digest('hex')]);
      try {
        // Mode and time through the open file: no second lookup of the path.
        fs.fchmodSync(fd, op.mode);
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
