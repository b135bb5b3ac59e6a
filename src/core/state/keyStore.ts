import { createHash, randomBytes } from 'node:crypto';
import { keyId } from '../backup/crypto';
import type { KeyProvider } from '../backup/types';
import { GardenerError } from '../errors';

/** The two calls of VS Code's SecretStorage we use, so this logic runs (and is tested) without it. */
export interface SecretStore {
  get(name: string): PromiseLike<string | undefined>;
  store(name: string, value: string): PromiseLike<void>;
}

/** Where the key of the current workspace is looked for. */
export interface KeyPlace {
  /** The workspace identity (see identity.ts). */
  identity: string;
  /** Data directories whose path hash 0.1 stored a key under, most likely first. */
  legacyDataDirs: readonly string[];
}

const KEY = 'codebaseGardener.backupKey.';
const POINTER = 'codebaseGardener.backupKeyFor.';
const KEY_ID = /^[0-9a-f]{16}$/;

export const keyName = (id: string): string => `${KEY}${id}`;
export const pointerName = (identity: string): string => `${POINTER}${identity}`;
/** Where 0.1 kept a data directory's key: under a hash of its path, lost when the path changed. */
export const legacyKeyName = (dataDir: string): string => `${KEY}${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;
export const idOf = (key: Buffer): string => keyId(key).toString('hex');

export type ImportOutcome = 'pointed' | 'same' | 'stored';

/**
 * Backup keys in secret storage, each under its own id (the 8-byte id that archive headers and
 * sealed files carry), and for each workspace a pointer to the key its new backups use. Moving
 * the data, renaming the workspace or importing another key never makes a stored key
 * unreachable: whatever names a key by id finds it.
 */
export class BackupKeyStore implements KeyProvider {
  // One change at a time: two backups started at once must not each create a key.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly secrets: SecretStore,
    private readonly place: () => KeyPlace,
    private readonly onCreated: (key: Buffer) => void = () => undefined,
  ) {}

  getKey(create: boolean): Promise<Buffer | undefined> {
    return this.serial(() => this.own(create));
  }

  /** Any key this machine holds with that id, including 0.1's key of this workspace's data. */
  getKeyById(id: string): Promise<Buffer | undefined> {
    if (!KEY_ID.test(id)) return Promise.resolve(undefined);
    return this.serial(async () => {
      const stored = await this.byId(id);
      if (stored) return stored;
      for (const dir of this.place().legacyDataDirs) {
        const key = await this.legacy(dir);
        if (key && idOf(key) === id) return this.keep(key);
      }
      return undefined;
    });
  }

  /**
   * Makes the key 0.1 kept for `dataDir` available by its id (pointed at by this workspace if it
   * has no key yet), so backups moved away from that path stay restorable. Returns its id.
   */
  adoptLegacy(dataDir: string): Promise<string | undefined> {
    return this.serial(async () => {
      const key = await this.legacy(dataDir);
      if (!key) return undefined;
      const { identity } = this.place();
      const pointed = await this.secrets.get(pointerName(identity));
      const hasOwn = !!pointed && KEY_ID.test(pointed) && !!(await this.byId(pointed));
      await this.keep(key, hasOwn ? undefined : identity);
      return idOf(key);
    });
  }

  /**
   * Stores an imported key by its id. This workspace's new backups use it if it had no key, or
   * if `replace` says so: its backups made with the key it had stay readable either way, since
   * that key stays stored under its own id.
   */
  importKey(key: Buffer, replace: () => Promise<boolean>): Promise<ImportOutcome> {
    if (key.length !== 32) return Promise.reject(new GardenerError('A backup key is 32 bytes.', 'INVALID'));
    return this.serial(async () => {
      const id = idOf(key);
      await this.keep(key);
      const current = await this.own(false);
      if (current && idOf(current) === id) return 'same';
      if (current && !(await replace())) return 'stored';
      await this.keep(key, this.place().identity);
      return 'pointed';
    });
  }

  /** The id of the key this workspace's new backups use, if it has one. */
  async currentKeyId(): Promise<string | undefined> {
    const key = await this.getKey(false);
    return key && idOf(key);
  }

  /** This workspace's key: the one its pointer names, else 0.1's key of its data, else (with `create`) a new one. */
  private async own(create: boolean): Promise<Buffer | undefined> {
    const { identity, legacyDataDirs } = this.place();
    const pointed = await this.secrets.get(pointerName(identity));
    const key = pointed && KEY_ID.test(pointed) ? await this.byId(pointed) : undefined;
    if (key) return key;
    // 0.1's key of this data: read once by its old name, kept by id and pointed at from now on.
    for (const dir of legacyDataDirs) {
      const old = await this.legacy(dir);
      if (old) return this.keep(old, identity);
    }
    if (!create) return undefined;
    const made = await this.keep(randomBytes(32), identity);
    this.onCreated(made);
    return made;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The key stored under `id`, if it is one and really has that id. */
  private async byId(id: string): Promise<Buffer | undefined> {
    const key = decode(await this.secrets.get(keyName(id)));
    // 0.1's path-hash names have the same shape as ids: only a key whose id matches is one.
    return key && idOf(key) === id ? key : undefined;
  }

  private async legacy(dataDir: string): Promise<Buffer | undefined> {
    return decode(await this.secrets.get(legacyKeyName(dataDir)));
  }

  /**
   * Stores `key` under its id, read back before anything points at it, and points `identity`
   * at it when given. The entry under 0.1's name is left as it was: 0.1, should the user go
   * back to it, still finds its key there.
   */
  private async keep(key: Buffer, identity?: string): Promise<Buffer> {
    const id = idOf(key);
    if (!(await this.byId(id))) {
      await this.secrets.store(keyName(id), key.toString('base64'));
      if (!(await this.byId(id))) throw new GardenerError('The backup key could not be saved in secret storage.', 'NO_KEY');
    }
    if (identity) await this.secrets.store(pointerName(identity), id);
    return key;
  }
}

function decode(stored: string | undefined): Buffer | undefined {
  if (!stored) return undefined;
  const key = Buffer.from(stored, 'base64');
  return key.length === 32 ? key : undefined;
}
