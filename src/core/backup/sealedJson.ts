import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { keyId } from './crypto';
import { BackupError } from './types';

/**
 * Metadata files (catalog, manifests, restore journals) sealed with the backup key: AES-256-GCM
 * under a key derived for metadata alone, with the file's role and id (`catalog`,
 * `manifest:<id>`…) as additional data, so a manifest cannot be passed off as another backup's
 * and nothing in the backups folder names a file, a path or a hash of the sources without the key.
 */
interface SealedFile {
  format: 'codebase-gardener-sealed';
  version: 1;
  keyId: string;
  nonce: string;
  data: string;
  tag: string;
}

/** The key metadata files are sealed with, derived from the backup key. */
export const metaKey = (key: Buffer): Buffer => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'codebase-gardener metadata v1', 32));

export function sealJson(key: Buffer, label: string, value: unknown): string {
  return sealJsonBytes(key, label, value).toString('latin1');
}

/** Text this long or longer is sealed a piece at a time. */
const PIECE = 1 << 16;

/**
 * sealJson's file as bytes, made with no copy of the whole but the one returned: a restore's
 * journal of 100,000 files is ~15 MB of JSON, which as ciphertext, then base64, then the
 * wrapping JSON, made four more copies of it (~70 MB) at the restore's peak of memory.
 */
export function sealJsonBytes(key: Buffer, label: string, value: unknown): Buffer {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', metaKey(key), nonce);
  c.setAAD(Buffer.from(label));
  const text = JSON.stringify(value);
  // The wrapper as JSON.stringify writes it: no field of it needs escaping.
  const head = Buffer.from(`{"format":"codebase-gardener-sealed","version":1,"keyId":"${keyId(key).toString('hex')}","nonce":"${nonce.toString('base64')}","data":"`);
  const n = Buffer.byteLength(text);
  const out = Buffer.allocUnsafe(head.length + 4 * Math.ceil(n / 3) + 40);
  let at = head.copy(out, 0);
  /** Ciphertext not yet in base64: base64 of pieces joins up only in multiples of 3 bytes. */
  let rest: Buffer = Buffer.alloc(0);
  const put = (cipher: Buffer, last: boolean): void => {
    const bytes = rest.length ? Buffer.concat([rest, cipher]) : cipher;
    const whole = last ? bytes.length : bytes.length - (bytes.length % 3);
    at += out.write(bytes.subarray(0, whole).toString('base64'), at, 'latin1');
    rest = bytes.subarray(whole);
  };
  for (let from = 0; from < text.length; ) {
    let to = Math.min(text.length, from + PIECE);
    // Never between the two halves of a surrogate pair: each half alone would encode as U+FFFD.
    const last = text.charCodeAt(to - 1);
    if (to < text.length && last >= 0xd800 && last <= 0xdbff) to--;
    put(c.update(text.slice(from, to), 'utf8'), false);
    from = to;
  }
  put(c.final(), true);
  at += out.write(`","tag":"${c.getAuthTag().toString('base64')}"}`, at, 'latin1');
  return out.subarray(0, at);
}

export function isSealed(v: unknown): v is SealedFile {
  return !!v && typeof v === 'object' && (v as SealedFile).format === 'codebase-gardener-sealed';
}

/**
 * The value inside a parsed file: opened with `key` when sealed, as it is when not. `file` names
 * the file in errors; a sealed file that fails to open is damaged or forged, never half-trusted.
 */
export function openJson(parsed: unknown, key: Buffer | undefined, label: string, file: string): unknown {
  if (!isSealed(parsed)) return parsed;
  const f = parsed;
  if (f.version !== 1 || typeof f.nonce !== 'string' || typeof f.data !== 'string' || typeof f.tag !== 'string' || typeof f.keyId !== 'string') {
    throw new BackupError(`${file} is damaged: its sealed form is incomplete.`, 'CORRUPT_FILE');
  }
  if (!key) throw new BackupError(`${file} is encrypted and no backup key is available here: import the recovery key.`, 'NO_KEY');
  try {
    const d = createDecipheriv('aes-256-gcm', metaKey(key), Buffer.from(f.nonce, 'base64'));
    d.setAAD(Buffer.from(label));
    d.setAuthTag(Buffer.from(f.tag, 'base64'));
    // No concatenated copy: GCM gives everything from update (final adds nothing but the check).
    const body = d.update(Buffer.from(f.data, 'base64'));
    const rest = d.final();
    const text = (rest.length ? Buffer.concat([body, rest]) : body).toString('utf8');
    // It authenticates with this key, so it is this key's, whatever its (unsealed) keyId says.
    return JSON.parse(text);
  } catch {
    if (f.keyId !== keyId(key).toString('hex')) throw new BackupError(`${file} was sealed with a different key: import the recovery key that belongs to these backups.`, 'WRONG_KEY');
    throw new BackupError(`${file} is damaged or was altered: it does not authenticate with the backup key.`, 'CORRUPT_FILE');
  }
}
