// A worker thread's entry (bundled apart as dist/unpackWorker.js): reads an archive, checks its
// sha256, decrypts and inflates it, and posts the tar bytes to the thread that parses, hashes
// and writes them. Splitting the work this way lets a restore use both cores, as `tar -xz`
// does with gzip beside tar.
import * as fs from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parentPort, workerData } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { DecryptStream } from './crypto';
import { Tap } from './tap';

export interface UnpackJob {
  file: string;
  /** The key, when the archive is encrypted. */
  key?: Uint8Array;
}

/** Worker → parser. The parser answers each `data` with a credit (a number) once it has taken it. */
export type UnpackMessage =
  | { type: 'data'; bytes: Uint8Array }
  | { type: 'end'; sha256: string; size: number }
  | { type: 'error'; name: string; message: string; code?: string };

/** Chunks posted but not yet taken by the parser: bounds the memory between the threads. */
export const CREDITS = 8;

function run(port: NonNullable<typeof parentPort>, job: UnpackJob): void {
  let credits = CREDITS;
  let waiting: (() => void) | undefined;
  port.on('message', (n: number) => {
    credits += n;
    // Cleared before the call: sending lets the stream write again, which may wait anew.
    const resume = waiting;
    waiting = undefined;
    resume?.();
  });
  const post = (m: UnpackMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  const tap = new Tap();
  const stages: (NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream)[] = [fs.createReadStream(job.file, { highWaterMark: 256 * 1024 }), tap];
  if (job.key) stages.push(new DecryptStream(Buffer.from(job.key)));
  stages.push(
    zlib.createGunzip({ chunkSize: 256 * 1024 }),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        const send = () => {
          credits--;
          // zlib hands out slices of a buffer it reuses: copy into one of our own to transfer.
          const bytes = new Uint8Array(chunk.length);
          bytes.set(chunk);
          post({ type: 'data', bytes }, [bytes.buffer]);
          cb();
        };
        if (credits > 0) send();
        else waiting = send;
      },
    }),
  );
  pipeline(stages).then(
    () => post({ type: 'end', sha256: tap.hash.digest('hex'), size: tap.bytes }),
    (err: Error & { code?: string }) => post({ type: 'error', name: err.name, message: err.message, code: err.code }),
  );
}

if (parentPort) run(parentPort, workerData as UnpackJob);
