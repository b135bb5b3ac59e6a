/**
 * What the staging worker does, in order. A piece of data lies at `at` in the shared ring;
 * `end` is the ring position just past it, which the worker reports back once it is written.
 * A file opened with `hash` is hashed by the worker as it writes it.
 */
export type StagingOp =
  | { t: 'open'; id: number; path: string; replace: boolean; hash: boolean; mode: number }
  | { t: 'data'; id: number; at: number; n: number; end: number }
  | { t: 'close'; id: number; mtimeMs: number }
  | { t: 'remove'; path: string }
  | { t: 'end' };

/**
 * `consumed`: the `end` of the last piece of data the worker wrote; `hashes`: the sha256 of
 * each file it hashed and closed since the last reply; `done` once it has run the batch's `end`.
 */
export type StagingReply = { consumed: number; hashes: [number, string][]; done?: boolean } | { error: { message: string; code?: string } };

/**
 * A batch of operations as it crosses to the worker: their numbers in one Float64Array and
 * their paths in order. Cloning thousands of small objects cost more than the worker's writes.
 */
export interface StagingBatch {
  nums: Float64Array;
  paths: string[];
}

const OPEN = 0;
const DATA = 1;
const CLOSE = 2;
const REMOVE = 3;
const END = 4;

export function encodeOps(ops: StagingOp[]): StagingBatch {
  const nums: number[] = [];
  const paths: string[] = [];
  for (const op of ops) {
    switch (op.t) {
      case 'open':
        nums.push(OPEN, op.id, (op.replace ? 1 : 0) | (op.hash ? 2 : 0), op.mode);
        paths.push(op.path);
        break;
      case 'data':
        nums.push(DATA, op.id, op.at, op.n, op.end);
        break;
      case 'close':
        nums.push(CLOSE, op.id, op.mtimeMs);
        break;
      case 'remove':
        nums.push(REMOVE);
        paths.push(op.path);
        break;
      case 'end':
        nums.push(END);
        break;
    }
  }
  return { nums: Float64Array.from(nums), paths };
}

export function* decodeOps({ nums, paths }: StagingBatch): Generator<StagingOp> {
  let p = 0;
  for (let i = 0; i < nums.length; ) {
    switch (nums[i]) {
      case OPEN:
        yield { t: 'open', id: nums[i + 1], replace: (nums[i + 2] & 1) !== 0, hash: (nums[i + 2] & 2) !== 0, mode: nums[i + 3], path: paths[p++] };
        i += 4;
        break;
      case DATA:
        yield { t: 'data', id: nums[i + 1], at: nums[i + 2], n: nums[i + 3], end: nums[i + 4] };
        i += 5;
        break;
      case CLOSE:
        yield { t: 'close', id: nums[i + 1], mtimeMs: nums[i + 2] };
        i += 3;
        break;
      case REMOVE:
        yield { t: 'remove', path: paths[p++] };
        i += 1;
        break;
      case END:
        yield { t: 'end' };
        i += 1;
        break;
      default:
        throw new Error(`Unknown staging operation ${nums[i]}.`);
    }
  }
}
