/**
 * Decides which progress updates to pass on: the first of each phase at once, then at most one
 * per `intervalMs`. Each report to VS Code crosses to the window; a restore of 5,000 files
 * would otherwise send 5,000 of them.
 */
export function progressGate(intervalMs: number, now: () => number): (phase: string) => boolean {
  let phase: string | undefined;
  let passedAt = -Infinity;
  return (p) => {
    const t = now();
    if (p === phase && t - passedAt < intervalMs) return false;
    phase = p;
    passedAt = t;
    return true;
  };
}
