import * as fs from 'node:fs';
import { GardenerError } from './errors';

/**
 * Reads a JSON state file. A file that is not JSON, or that `check` refuses, throws a
 * GardenerError with code CORRUPT_FILE and `file` set, whose message starts with the file's path:
 * the user has to be able to find the file we could not read.
 *
 * `check` returns the value as a `T` or throws an Error whose message says what is wrong,
 * worded to follow the path ("is not an alerts file of version 1").
 *
 * A missing file is not corrupt: its ENOENT error (like every other read error) is thrown
 * unchanged, so the caller decides what absence means (often "start empty"; see `isMissing`).
 */
export async function readJsonFile<T = unknown>(file: string, check?: (value: unknown) => T): Promise<T> {
  return parse(file, await fs.promises.readFile(file, 'utf8'), check);
}

/** `readJsonFile` for the few places that must read synchronously (crash recovery, locks). */
export function readJsonFileSync<T = unknown>(file: string, check?: (value: unknown) => T): T {
  return parse(file, fs.readFileSync(file, 'utf8'), check);
}

/** Whether a read failed because the file is not there. */
export function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function parse<T>(file: string, text: string, check?: (value: unknown) => T): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new GardenerError(`${file} is not valid JSON (${(err as Error).message}).`, 'CORRUPT_FILE', { file, cause: err });
  }
  if (!check) return value as T;
  try {
    return check(value);
  } catch (err) {
    throw new GardenerError(`${file} ${err instanceof Error ? err.message : String(err)}.`, 'CORRUPT_FILE', { file, cause: err });
  }
}
