import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { codecOfId, CODEC_IDS, compressWhole, decompressWhole, type Codec } from './codec';
import { keyId } from './crypto';
import { metaKey } from './sealedJson';
import { BackupError } from './types';

/**
 * A backup's manifest as kept beside the catalog, compressed: on 100,000 files its JSON is
 * ~22 MB (29 MB sealed as base64 text), a fifth of the size of the backup's archive; compressed
 * ~5 MB. The manifest inside the archive is compressed with the archive already.
 *
 *   "CGMF" | version 1 | codec id (codec.ts) | sealed (0 or 1) | [key id (8) | nonce (12) | tag (16)] | data
 *
 * data is the manifest's JSON, compressed whole; when sealed, encrypted with AES-256-GCM under
 * the metadata key (as sealedJson.ts), with the file's role and id (`manifest:<id>`) and the
 * header before the nonce as additional data. Manifests written before are JSON text, still read.
 */
const MAGIC = Buffer.from('CGMF');
const VERSION = 1;
const HEAD = 7;
const SEALED_HEAD = HEAD + 8 + 12 + 16;

export function isPackedManifest(bytes: Buffer): boolean {
  return bytes.subarray(0, 4).equals(MAGIC);
}

/** The key id (hex) a packed manifest was sealed with; undefined when it is not sealed or too short to say. */
export function packedKeyId(bytes: Buffer): string | undefined {
  return bytes.length >= SEALED_HEAD && bytes[6] === 1 ? bytes.subarray(HEAD, HEAD + 8).toString('hex') : undefined;
}

export async function packManifest(value: unknown, key: Buffer | undefined, label: string, codec: Codec): Promise<Buffer> {
  return sealManifest(await compressWhole(codec, Buffer.from(JSON.stringify(value))), key, label, codec);
}

/** A manifest file of `data`, a manifest's JSON already compressed with `codec` (as `compressWhole` or a ManifestCompressor makes it). */
export function sealManifest(data: Buffer, key: Buffer | undefined, label: string, codec: Codec): Buffer {
  const head = Buffer.from([...MAGIC, VERSION, CODEC_IDS[codec], key ? 1 : 0]);
  if (!key) return Buffer.concat([head, data]);
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', metaKey(key), nonce);
  const id = keyId(key);
  c.setAAD(Buffer.concat([Buffer.from(label), head, id]));
  const sealed = Buffer.concat([c.update(data), c.final()]);
  return Buffer.concat([head, id, nonce, c.getAuthTag(), sealed]);
}

/**
 * The value in a packed manifest, checked as everything read from disk: `file` names it in
 * errors. Sealed ones open only with `key` (the key its id names).
 */
export async function unpackManifest(bytes: Buffer, key: Buffer | undefined, label: string, file: string): Promise<unknown> {
  return (await unpackManifestJson(bytes, key, label, file)).value;
}

/**
 * As unpackManifest, with the sha256 of the manifest's JSON text: a new archive holds the same
 * text as its last entry, so a restore can tell the two are equal by that alone (checker.ts).
 */
export async function unpackManifestJson(bytes: Buffer, key: Buffer | undefined, label: string, file: string): Promise<{ value: unknown; jsonSha256: string }> {
  const damaged = (why: string): BackupError => new BackupError(`${file} is damaged (${why}): run Rebuild Catalog to read it again from the archive.`, 'CORRUPT_FILE');
  if (bytes.length < HEAD || !isPackedManifest(bytes)) throw damaged('not a manifest file');
  if (bytes[4] !== VERSION) throw new BackupError(`${file} is a manifest of a newer format (version ${bytes[4]}); update the extension to read it.`, 'UNSUPPORTED');
  const sealed = bytes[6];
  if (sealed !== 0 && sealed !== 1) throw damaged('its sealed flag is neither 0 nor 1');
  let data = bytes.subarray(HEAD);
  if (sealed) {
    if (bytes.length < SEALED_HEAD) throw damaged('it is too short');
    if (!key) throw new BackupError(`${file} is encrypted and no backup key is available here: import the recovery key.`, 'NO_KEY');
    const id = bytes.subarray(HEAD, HEAD + 8);
    try {
      const d = createDecipheriv('aes-256-gcm', metaKey(key), bytes.subarray(HEAD + 8, HEAD + 20));
      d.setAAD(Buffer.concat([Buffer.from(label), bytes.subarray(0, HEAD), id]));
      d.setAuthTag(bytes.subarray(HEAD + 20, SEALED_HEAD));
      data = Buffer.concat([d.update(bytes.subarray(SEALED_HEAD)), d.final()]);
    } catch {
      if (!id.equals(keyId(key))) throw new BackupError(`${file} was sealed with a different key: import the recovery key that belongs to these backups.`, 'WRONG_KEY');
      throw new BackupError(`${file} is damaged or was altered: it does not authenticate with the backup key.`, 'CORRUPT_FILE');
    }
  }
  // Authenticated by now when sealed, so an unknown codec is a newer writer's, not damage.
  const codec = codecOfId(bytes[5]);
  if (!codec) throw new BackupError(`${file} is compressed with a method this version does not know (codec ${bytes[5]}); update the extension to read it.`, 'UNSUPPORTED');
  let text: Buffer;
  try {
    text = await decompressWhole(codec, data);
  } catch (err) {
    throw damaged(`it does not decompress: ${(err as Error).message}`);
  }
  try {
    return { value: JSON.parse(text.toString('utf8')), jsonSha256: createHash('sha256').update(text).digest('hex') };
  } catch {
    throw damaged('it is not valid JSON');
  }
}
