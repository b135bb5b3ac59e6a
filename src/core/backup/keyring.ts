import * as fs from 'node:fs';
import { HEADER_LEN, isEncrypted, keyId } from './crypto';
import type { KeyProvider } from './types';

/**
 * The key a sealed file or archive names by its id: the backup set's own key when the ids
 * match, else any other key this machine holds with that id (a set that moved, or another
 * workspace's). When none matches, the set's key is returned, so opening it says "a different
 * key" rather than "no key".
 */
export async function keyNamed(keys: KeyProvider, id: string | undefined): Promise<Buffer | undefined> {
  const own = await keys.getKey(false);
  if (!id || (own && keyId(own).toString('hex') === id)) return own;
  return (await keys.getKeyById?.(id)) ?? own;
}

/** The key id an encrypted archive's header names, or undefined for a plain or unreadable one. */
export function archiveKeyId(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(HEADER_LEN);
    if (fs.readSync(fd, head, 0, HEADER_LEN, 0) < HEADER_LEN || !isEncrypted(head)) return undefined;
    return head.subarray(HEADER_LEN - 8).toString('hex');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
