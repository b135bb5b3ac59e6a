import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BackupKeyStore, idOf, keyName, legacyKeyName, pointerName, type KeyPlace, type SecretStore } from '../../src/core/state';

/** VS Code's SecretStorage as a Map: what the key store sees of it. */
function secrets(): SecretStore & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, get: async (n) => map.get(n), store: async (n, v) => void map.set(n, v) };
}

function store(s: SecretStore, place: Partial<KeyPlace> = {}, created: Buffer[] = []): BackupKeyStore {
  return new BackupKeyStore(s, () => ({ identity: 'ws-0000000000000001', legacyDataDirs: [], ...place }), (k) => created.push(k));
}

describe('state: backup keys by id', () => {
  it('a new key is stored under its id with a pointer from the workspace, made once even when asked twice at once', async () => {
    const s = secrets();
    const created: Buffer[] = [];
    const keys = store(s, {}, created);
    assert.equal(await keys.getKey(false), undefined);
    const [a, b] = await Promise.all([keys.getKey(true), keys.getKey(true)]);
    assert.ok(a && b && a.equals(b));
    assert.equal(created.length, 1, 'one key, one offer to export it');
    const id = idOf(a);
    assert.equal(s.map.get(pointerName('ws-0000000000000001')), id);
    assert.equal(s.map.get(keyName(id)), a.toString('base64'));
    assert.ok((await keys.getKey(false))!.equals(a));
  });

  it('any key held is found by its id, whichever workspace made it; unknown or malformed ids find nothing', async () => {
    const s = secrets();
    const other = await store(s, { identity: 'ws-0000000000000002' }).getKey(true);
    const keys = store(s);
    assert.ok((await keys.getKeyById(idOf(other!)))!.equals(other!));
    assert.equal(await keys.getKeyById('00'.repeat(8)), undefined);
    assert.equal(await keys.getKeyById('../../x'), undefined);
    // An entry whose name has an id's shape but whose key has another id (0.1's path-hash names) is not that key.
    const stray = randomBytes(32);
    s.map.set(keyName('ab'.repeat(8)), stray.toString('base64'));
    assert.equal(await keys.getKeyById('ab'.repeat(8)), undefined);
  });

  it("0.1's key, stored under a hash of the data path, is read, kept by id and pointed at on first use; the old entry stays for 0.1", async () => {
    const s = secrets();
    const old = randomBytes(32);
    s.map.set(legacyKeyName('/home/me/proj/data'), old.toString('base64'));
    const keys = store(s, { legacyDataDirs: ['/storage/data', '/home/me/proj/data'] });
    assert.ok((await keys.getKey(false))!.equals(old));
    assert.equal(s.map.get(pointerName('ws-0000000000000001')), idOf(old));
    assert.equal(s.map.get(keyName(idOf(old))), old.toString('base64'));
    assert.equal(s.map.get(legacyKeyName('/home/me/proj/data')), old.toString('base64'));
    // Once pointed at, the data path no longer matters: it can move.
    assert.ok((await store(s).getKey(false))!.equals(old));
  });

  it("0.1's key is found by its id (a moved backups folder names it) without becoming this workspace's key", async () => {
    const s = secrets();
    const old = randomBytes(32);
    s.map.set(legacyKeyName('/p/data'), old.toString('base64'));
    const keys = store(s, { legacyDataDirs: ['/p/data'] });
    s.map.set(pointerName('ws-0000000000000001'), idOf((await store(s, { identity: 'ws-0000000000000009' }).getKey(true))!));
    assert.ok((await keys.getKeyById(idOf(old)))!.equals(old));
    assert.equal(s.map.get(keyName(idOf(old))), old.toString('base64'));
    assert.notEqual(s.map.get(pointerName('ws-0000000000000001')), idOf(old));
  });

  it('adoptLegacy (the move from 0.1) keeps the old key by id, and points at it only when the workspace has none', async () => {
    const s = secrets();
    const old = randomBytes(32);
    s.map.set(legacyKeyName('/p/data'), old.toString('base64'));
    assert.equal(await store(s).adoptLegacy('/nowhere/data'), undefined);
    assert.equal(await store(s).adoptLegacy('/p/data'), idOf(old));
    assert.equal(s.map.get(pointerName('ws-0000000000000001')), idOf(old));
    const own = await store(s, { identity: 'ws-0000000000000003' }).getKey(true);
    await store(s, { identity: 'ws-0000000000000003' }).adoptLegacy('/p/data');
    assert.equal(s.map.get(pointerName('ws-0000000000000003')), idOf(own!), 'its own key is kept for new backups');
  });

  it('an imported key is stored by id; it becomes the key for new backups only if there was none or the user agrees', async () => {
    const s = secrets();
    const keys = store(s);
    const first = randomBytes(32);
    assert.equal(await keys.importKey(first, async () => assert.fail('nothing to replace: no question')), 'pointed');
    assert.equal(await keys.importKey(first, async () => assert.fail('the same key: no question')), 'same');
    const second = randomBytes(32);
    assert.equal(await keys.importKey(second, async () => false), 'stored');
    assert.ok((await keys.getKey(false))!.equals(first), 'declined: new backups keep the key they had');
    assert.ok((await keys.getKeyById(idOf(second)))!.equals(second), 'but backups made with the imported key open');
    assert.equal(await keys.importKey(second, async () => true), 'pointed');
    assert.ok((await keys.getKey(false))!.equals(second));
    assert.ok((await keys.getKeyById(idOf(first)))!.equals(first), 'backups made with the replaced key still open');
    await assert.rejects(keys.importKey(Buffer.alloc(5), async () => true), /32 bytes/);
  });

  it('a pointer to a key that is gone is mended: by 0.1\'s key if there is one, else by a new key when one is needed', async () => {
    const s = secrets();
    s.map.set(pointerName('ws-0000000000000001'), 'cd'.repeat(8));
    const keys = store(s);
    assert.equal(await keys.getKey(false), undefined);
    const made = await keys.getKey(true);
    assert.equal(s.map.get(pointerName('ws-0000000000000001')), idOf(made!));
  });
});
