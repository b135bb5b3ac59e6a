import { performance } from 'node:perf_hooks';

/** Taken when the bundle starts evaluating: imported first, so activation time includes loading. */
export const bundleLoadStart = performance.now();
