import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, timingSafeEqual, type DecipherGCM } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import { GardenerError, type GardenerErrorCode } from '../errors';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

/**
 * Encrypted archive format:
 *   header  = "CGBK" | version (1 byte) | chunk size (u32 BE) | nonce prefix (8 bytes) | key id (8 bytes)
 *   chunk*  = length|final-bit (u32 BE) | ciphertext | GCM tag (16 bytes)
 * Each chunk is AES-256-GCM with IV = nonce prefix | chunk index (u32 BE) and the header,
 * chunk index and final flag as additional data: chunks cannot be reordered, dropped,
 * truncated or moved between archives without failing authentication.
 * Version 1 cuts the byte stream into chunks of the header's size. Version 2 seals each gzip
 * member as one chunk (the header's size is then the largest a chunk may be), so a reader
 * can inflate several members at once; read as a byte stream, both are the same gzip data.
 * Version 3 is version 2 with one more header byte, the codec (codec.ts: 0 gzip, 1 zstd), each
 * chunk one member or frame of it; gzip archives are still written as version 2, which
 * earlier releases read.
 */
export const MAGIC = Buffer.from('CGBK');
export const VERSION = 1;
export const MEMBER_VERSION = 2;
export const CODEC_VERSION = 3;
/** The header of versions 1 and 2; version 3's has the codec byte after it. */
export const HEADER_LEN = 4 + 1 + 4 + 8 + 8;
export const MAX_HEADER_LEN = HEADER_LEN + 1;

/** A header's length by its version byte: what must be read before the first chunk. */
export const headerLength = (version: number): number => (version === CODEC_VERSION ? HEADER_LEN + 1 : HEADER_LEN);
export const TAG_LEN = 16;
const FINAL = 0x80000000;
export const DEFAULT_CHUNK = 256 * 1024;
/** The largest chunk a version 2 archive may hold: far above the 256–512 KB gzip members we write. */
const MAX_MEMBER_CHUNK = 16 * 1024 * 1024;

/** A GardenerError from sealing or opening: CORRUPT unless the throw site says otherwise. */
export class BackupCryptoError extends GardenerError {
  constructor(message: string, code: Extract<GardenerErrorCode, 'CORRUPT' | 'WRONG_KEY' | 'INVALID'> = 'CORRUPT') {
    super(message, code);
  }
}

/** Eight bytes that name a key without revealing it, so a wrong key is told apart from corruption. */
export function keyId(key: Buffer): Buffer {
  return createCipheriv('aes-256-ecb', key, null).update(Buffer.alloc(16)).subarray(0, 8);
}

/** The whole header (the codec byte included) is authenticated with every chunk. */
function aad(header: Buffer, index: number, final: boolean): Buffer {
  const b = Buffer.alloc(header.length + 5);
  header.copy(b, 0);
  b.writeUInt32BE(index, header.length);
  b[header.length + 4] = final ? 1 : 0;
  return b;
}

function iv(prefix: Buffer, index: number): Buffer {
  const b = Buffer.alloc(12);
  prefix.copy(b, 0);
  b.writeUInt32BE(index, 8);
  return b;
}

/** Seals the format above: a byte stream in fixed chunks (`EncryptStream`), or whole members (`sealedMembers`). */
export class Sealer {
  readonly header: Buffer;
  private readonly prefix = randomBytes(8);
  /** Bytes of the chunk being filled, kept as the pieces they came in: copied once, when it is full. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;

  constructor(
    private readonly key: Buffer,
    private readonly chunkSize = DEFAULT_CHUNK,
    version = VERSION,
    /** Version 3's codec byte. */
    codecId = 0,
  ) {
    if (key.length !== 32) throw new BackupCryptoError('An encryption key must be 32 bytes.', 'INVALID');
    this.header = Buffer.alloc(headerLength(version));
    if (version === CODEC_VERSION) this.header[HEADER_LEN] = codecId;
    MAGIC.copy(this.header, 0);
    this.header[4] = version;
    this.header.writeUInt32BE(chunkSize, 5);
    this.prefix.copy(this.header, 9);
    keyId(key).copy(this.header, 17);
  }

  /**
   * The sealed chunks that `data` completes. Chunks are sealed straight from the incoming
   * buffer; one that spans several writes is copied together once. At least one byte is always
   * kept back, so `final()` seals the final chunk.
   */
  update(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let off = 0;
    if (this.pendingBytes) {
      const need = this.chunkSize - this.pendingBytes;
      if (data.length <= need) {
        this.pending.push(data);
        this.pendingBytes += data.length;
        return out;
      }
      this.pending.push(data.subarray(0, need));
      this.seal(Buffer.concat(this.pending, this.chunkSize), false, out);
      off = need;
    }
    while (data.length - off > this.chunkSize) {
      this.seal(data.subarray(off, off + this.chunkSize), false, out);
      off += this.chunkSize;
    }
    this.pending = off < data.length ? [data.subarray(off)] : [];
    this.pendingBytes = data.length - off;
    return out;
  }

  final(): Buffer[] {
    const out: Buffer[] = [];
    this.seal(Buffer.concat(this.pending, this.pendingBytes), true, out);
    return out;
  }

  /** Seals `plain` as one chunk of its own. */
  seal(plain: Buffer, final: boolean, out: Buffer[]): void {
    if (plain.length > this.chunkSize) throw new BackupCryptoError(`A chunk of ${plain.length} bytes is larger than this archive's chunks may be.`, 'INVALID');
    const c = createCipheriv('aes-256-gcm', this.key, iv(this.prefix, this.index));
    c.setAAD(aad(this.header, this.index, final));
    const len = Buffer.alloc(4);
    len.writeUInt32BE((plain.length | (final ? FINAL : 0)) >>> 0);
    // GCM is a stream mode: the ciphertext is as long as the plaintext, and final() adds nothing.
    out.push(len, c.update(plain));
    c.final();
    out.push(c.getAuthTag());
    this.index++;
  }
}

export class EncryptStream extends Transform {
  private readonly sealer: Sealer;

  constructor(key: Buffer, chunkSize = DEFAULT_CHUNK) {
    super();
    this.sealer = new Sealer(key, chunkSize);
    this.push(this.sealer.header);
  }

  override _transform(data: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    for (const b of this.sealer.update(data)) this.push(b);
    done();
  }

  override _flush(done: TransformCallback): void {
    for (const b of this.sealer.final()) this.push(b);
    done();
  }
}

/**
 * Seals each buffer `source` yields (a whole gzip member or zstd frame) as one chunk: format
 * version 2 for gzip, 3 with the codec's byte for any other. The last one is held back until
 * the source ends, so it can carry the final flag. Each chunk comes as its pieces (length word,
 * ciphertext, tag) for one gathered write: copying them together cost as much again as the
 * encryption.
 */
export async function* sealedMembers(source: AsyncIterable<Buffer>, key: Buffer, codecId = 0): AsyncGenerator<Buffer[]> {
  const sealer = codecId ? new Sealer(key, MAX_MEMBER_CHUNK, CODEC_VERSION, codecId) : new Sealer(key, MAX_MEMBER_CHUNK, MEMBER_VERSION);
  yield [sealer.header];
  let held: Buffer | undefined;
  const one = (final: boolean, plain: Buffer): Buffer[] => {
    const out: Buffer[] = [];
    sealer.seal(plain, final, out);
    return out;
  };
  for await (const member of source) {
    if (held) yield one(false, held);
    held = member;
  }
  yield one(true, held ?? Buffer.alloc(0));
}

/** Checks an archive's header against the key, then opens its chunks one by one, in order. */
export class ChunkOpener {
  readonly chunkSize: number;
  private readonly header: Buffer;
  private index = 0;
  /** Set once the chunk with the final flag has been opened. */
  done = false;

  constructor(
    private readonly key: Buffer,
    header: Buffer,
  ) {
    if (header.length < HEADER_LEN || !header.subarray(0, 4).equals(MAGIC)) throw new BackupCryptoError('Not an encrypted Codebase Gardener archive (bad magic).');
    if (header[4] !== VERSION && header[4] !== MEMBER_VERSION && header[4] !== CODEC_VERSION) throw new BackupCryptoError(`Unsupported archive version ${header[4]}.`);
    if (header.length < headerLength(header[4])) throw new BackupCryptoError('The archive is too short to hold an encryption header.');
    if (!timingSafeEqual(header.subarray(17, 25), keyId(key))) {
      throw new BackupCryptoError('This archive was encrypted with a different key. Import the recovery key it was made with.', 'WRONG_KEY');
    }
    this.header = Buffer.from(header.subarray(0, headerLength(header[4])));
    this.chunkSize = header.readUInt32BE(5);
  }

  /** The codec byte (version 3); 0, gzip, for earlier versions. Known only to be what was written once a chunk has authenticated. */
  get codecId(): number {
    return this.header[4] === CODEC_VERSION ? this.header[HEADER_LEN] : 0;
  }

  /** Reads a chunk's length word: its ciphertext length and whether it is the last. */
  lengthOf(word: number): { len: number; final: boolean } {
    if (this.done) throw new BackupCryptoError('The archive has data after its final chunk.');
    const len = word & ~FINAL;
    if (len > this.chunkSize) throw new BackupCryptoError('A chunk is larger than the archive says chunks are: the archive is corrupt.');
    return { len, final: (word & FINAL) !== 0 };
  }

  /** A decipher for the next chunk; give its ciphertext to `update` and its tag to `close`. */
  next(final: boolean): DecipherGCM {
    const d = createDecipheriv('aes-256-gcm', this.key, iv(this.header.subarray(9, 17), this.index));
    d.setAAD(aad(this.header, this.index, final));
    return d;
  }

  /** Checks the chunk's tag; only then may its plaintext be used. */
  close(d: DecipherGCM, tag: Buffer, final: boolean): void {
    try {
      d.setAuthTag(tag);
      d.final();
    } catch {
      throw new BackupCryptoError(`Chunk ${this.index} failed authentication: the archive is corrupt or was tampered with.`);
    }
    this.index++;
    this.done = final;
  }
}

/**
 * Opens the format above as bytes arrive, in whatever pieces they come: a chunk's body goes
 * through the cipher piece by piece (no copying reads together), and its plaintext is passed
 * on only once the chunk's tag has authenticated it.
 */
export class DecryptStream extends Transform {
  private phase: 'header' | 'length' | 'body' | 'tag' = 'header';
  /** A small field (header, length word, tag) that arrived split across pieces. */
  private field: Buffer[] = [];
  private fieldBytes = 0;
  private opener: ChunkOpener | undefined;
  private final = false;
  private bodyLeft = 0;
  private decipher: DecipherGCM | undefined;
  private plain: Buffer[] = [];

  constructor(private readonly key: Buffer) {
    super();
  }

  override _transform(data: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.open(data);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    if (!this.opener) cb(new BackupCryptoError('The archive is too short to hold an encryption header.'));
    else if (!this.opener.done) cb(new BackupCryptoError('The archive is truncated or has trailing data: its last chunk is missing.'));
    else cb();
  }

  private open(data: Buffer): void {
    let off = 0;
    while (off < data.length) {
      if (this.opener?.done) throw new BackupCryptoError('The archive has data after its final chunk.');
      if (this.phase === 'body') {
        const n = Math.min(this.bodyLeft, data.length - off);
        this.plain.push(this.decipher!.update(data.subarray(off, off + n)));
        off += n;
        if ((this.bodyLeft -= n) === 0) this.phase = 'tag';
        continue;
      }
      const need = this.phase === 'header' ? HEADER_LEN : this.phase === 'length' ? 4 : TAG_LEN;
      let whole: Buffer | undefined;
      if (!this.fieldBytes && data.length - off >= need) {
        whole = data.subarray(off, off + need);
        off += need;
      } else {
        const piece = data.subarray(off, off + need - this.fieldBytes);
        this.field.push(piece);
        this.fieldBytes += piece.length;
        off += piece.length;
        if (this.fieldBytes < need) continue;
        whole = Buffer.concat(this.field, need);
        this.field = [];
        this.fieldBytes = 0;
      }
      if (this.phase === 'header') {
        this.opener = new ChunkOpener(this.key, whole);
        this.phase = 'length';
      } else if (this.phase === 'length') {
        const { len, final } = this.opener!.lengthOf(whole.readUInt32BE(0));
        this.final = final;
        this.decipher = this.opener!.next(final);
        this.bodyLeft = len;
        this.phase = len ? 'body' : 'tag';
      } else {
        this.opener!.close(this.decipher!, whole, this.final);
        for (const p of this.plain) this.push(p);
        this.plain = [];
        this.decipher = undefined;
        this.phase = 'length';
      }
    }
  }
}

export function isEncrypted(firstBytes: Buffer): boolean {
  return firstBytes.subarray(0, 4).equals(MAGIC);
}

const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** A recovery key file: the backup key wrapped with a key derived from a passphrase (scrypt). */
export async function wrapKey(key: Buffer, passphrase: string): Promise<string> {
  const salt = randomBytes(16);
  const kek = await scrypt(passphrase, salt, 32, SCRYPT);
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', kek, nonce);
  const wrapped = Buffer.concat([c.update(key), c.final()]);
  return JSON.stringify({
    format: 'codebase-gardener-recovery-key',
    version: 1,
    kdf: { name: 'scrypt', N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, salt: salt.toString('base64') },
    nonce: nonce.toString('base64'),
    wrappedKey: wrapped.toString('base64'),
    tag: c.getAuthTag().toString('base64'),
    keyId: keyId(key).toString('hex'),
  });
}

export async function unwrapKey(text: string, passphrase: string): Promise<Buffer> {
  let f: { format?: string; version?: number; kdf?: { N: number; r: number; p: number; salt: string }; nonce?: string; wrappedKey?: string; tag?: string };
  try {
    f = JSON.parse(text);
  } catch {
    throw new BackupCryptoError('This is not a recovery key file.');
  }
  if (f.format !== 'codebase-gardener-recovery-key' || f.version !== 1 || !f.kdf || !f.nonce || !f.wrappedKey || !f.tag) {
    throw new BackupCryptoError('This is not a recovery key file.');
  }
  const kek = await scrypt(passphrase, Buffer.from(f.kdf.salt, 'base64'), 32, { N: f.kdf.N, r: f.kdf.r, p: f.kdf.p, maxmem: SCRYPT.maxmem });
  const d = createDecipheriv('aes-256-gcm', kek, Buffer.from(f.nonce, 'base64'));
  d.setAuthTag(Buffer.from(f.tag, 'base64'));
  try {
    return Buffer.concat([d.update(Buffer.from(f.wrappedKey, 'base64')), d.final()]);
  } catch {
    throw new BackupCryptoError('Wrong passphrase for this recovery key.', 'WRONG_KEY');
  }
}
