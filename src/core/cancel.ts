import { GardenerError } from './errors';

/** What a cancelled long operation throws (code CANCELLED); adapters show it as a cancel, not a failure. */
export class CancelledError extends GardenerError {
  constructor(message = 'Cancelled') {
    super(message, 'CANCELLED');
  }
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

/**
 * For loops of synchronous file system calls (fast from the page cache, where thread-pool
 * round trips would dominate): `due()` says when ~`everyMs` have passed, and `yield()` lets the
 * event loop run before going on, so the host stays responsive on big trees.
 */
export function timeSlicer(everyMs = 8): { due(): boolean; yield(): Promise<void> } {
  let since = performance.now();
  return {
    due: () => performance.now() - since >= everyMs,
    yield: async () => {
      await new Promise<void>((r) => setImmediate(r));
      since = performance.now();
    },
  };
}
