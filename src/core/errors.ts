/**
 * Every failure the core means to report is a GardenerError with a `code`. Callers tell
 * failures apart by `code` (never by message text, which is for people and may be reworded).
 */
export type GardenerErrorCode =
  /** An encrypted backup and no key to open it. */
  | 'NO_KEY'
  /** The data was sealed with another key (or passphrase) than the one given. */
  | 'WRONG_KEY'
  /** An archive (or other data we wrote) fails its checks. */
  | 'CORRUPT'
  /** A state file (JSON) cannot be read as what it should be; `file` names it. */
  | 'CORRUPT_FILE'
  /** An archive entry that must not be written (a link, a device, an escaping path). */
  | 'UNSAFE_ENTRY'
  /** A path given by a caller that points outside where it may. */
  | 'UNSAFE_PATH'
  | 'NOT_FOUND'
  | 'NO_SPACE'
  /** Another window or process holds the lock. */
  | 'LOCKED'
  | 'CANCELLED'
  /** A request that cannot be carried out as asked (bad argument, wrong state). */
  | 'INVALID'
  /** Something this version cannot do or read, such as a newer format. */
  | 'UNSUPPORTED'
  /** A chain (of backups, of links) that loops. */
  | 'CYCLE'
  /** Files changed since an operation that would now replace them: the user decides. */
  | 'CHANGED_SINCE';

export const GARDENER_ERROR_CODES: readonly GardenerErrorCode[] = [
  'NO_KEY',
  'WRONG_KEY',
  'CORRUPT',
  'CORRUPT_FILE',
  'UNSAFE_ENTRY',
  'UNSAFE_PATH',
  'NOT_FOUND',
  'NO_SPACE',
  'LOCKED',
  'CANCELLED',
  'INVALID',
  'UNSUPPORTED',
  'CYCLE',
  'CHANGED_SINCE',
];

const KNOWN = new Set<string>(GARDENER_ERROR_CODES);

export function isGardenerErrorCode(code: unknown): code is GardenerErrorCode {
  return typeof code === 'string' && KNOWN.has(code);
}

export interface GardenerErrorOptions {
  /** The file a CORRUPT_FILE (or NOT_FOUND) error is about. */
  file?: string;
  cause?: unknown;
}

export class GardenerError extends Error {
  readonly file?: string;

  constructor(
    message: string,
    readonly code: GardenerErrorCode,
    options: GardenerErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Adapters and logs (and code from before this class) recognise a cancel by this name.
    this.name = code === 'CANCELLED' ? 'CancelledError' : 'GardenerError';
    if (options.file !== undefined) this.file = options.file;
  }
}

/** Whether `err` is a GardenerError, and (given `code`) one with that code or one of those codes. */
export function isGardenerError(err: unknown, code?: GardenerErrorCode | readonly GardenerErrorCode[]): err is GardenerError {
  if (!(err instanceof GardenerError)) return false;
  if (code === undefined) return true;
  return typeof code === 'string' ? err.code === code : code.includes(err.code);
}
