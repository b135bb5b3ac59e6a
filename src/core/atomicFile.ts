import * as fs from 'node:fs/promises';
import * as path from 'node:path';

type WriteFileAtomic = (file: string, data: string | Buffer, options: { mode: number; fsync: boolean }) => Promise<void>;

// Loaded on first write: evaluating it costs ~20 ms, which activation must not pay.
let lib: Promise<WriteFileAtomic> | undefined;

/**
 * Writes a file so that readers see either the old or the new content, never a mix:
 * temp file, fsync, rename. Owner-only, since our state can describe the user's machine.
 */
export async function writeFileAtomically(file: string, data: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // A CommonJS package: its function is the namespace's default export.
  lib ??= import('write-file-atomic').then((m) => m.default as unknown as WriteFileAtomic);
  const writeFileAtomic = await lib;
  await writeFileAtomic(file, data, { mode: 0o600, fsync: true });
}

export async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  await writeFileAtomically(file, JSON.stringify(value, null, 1) + '\n');
}
