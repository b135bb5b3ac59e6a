import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkWorkspaceRecord, identify, statRoot, WorkspaceRegistry, type RootStat, type WorkspaceRecord } from '../../src/core/state';
import { tempDir } from './fixtures';

const root = (p: string, ino: string, birthtimeMs = 1000): RootStat => ({ path: p, dev: '42', ino, birthtimeMs });
const rec = (id: string, key: string, roots: RootStat[], seenAt = 1): WorkspaceRecord => ({ version: 1, id, key, roots, seenAt });
let n = 0;
const newId = () => `ws-${(++n).toString(16).padStart(16, '0')}`;

describe('state: workspace identity (the rule)', () => {
  const a = rec('ws-000000000000000a', '/home/me/proj', [root('/home/me/proj', '100')]);

  it('the same path key is the same workspace, even when its folder was made anew (a fresh clone in its place)', () => {
    const r = identify([a], { key: '/home/me/proj', roots: [root('/home/me/proj', '999', 5000)] }, { newId, now: 9 });
    assert.equal(r.id, a.id);
    assert.equal(r.by, 'path');
    assert.equal(r.changed, true, 'the new inode is recorded');
    assert.deepEqual(r.record.roots, [root('/home/me/proj', '999', 5000)]);
    const same = identify([r.record], { key: '/home/me/proj', roots: [root('/home/me/proj', '999', 5000)] }, { newId, now: 10 });
    assert.equal(same.changed, false, 'nothing to write when nothing changed');
  });

  it('a renamed or moved folder (new path, same device, inode and birth time) keeps its id', () => {
    const r = identify([a], { key: '/home/me/renamed', roots: [root('/home/me/renamed', '100')] }, { newId, now: 9 });
    assert.deepEqual([r.id, r.by, r.changed, r.record.key], [a.id, 'inode', true, '/home/me/renamed']);
  });

  it('a copy (new inode), or a new folder that reuses a freed inode (other birth time), is a new workspace', () => {
    const copy = identify([a], { key: '/home/me/copy', roots: [root('/home/me/copy', '200')] }, { newId, now: 9 });
    assert.equal(copy.by, 'new');
    assert.notEqual(copy.id, a.id);
    const reused = identify([a], { key: '/home/me/other', roots: [root('/home/me/other', '100', 7777)] }, { newId, now: 9 });
    assert.equal(reused.by, 'new');
    // Where the file system keeps no birth time, device and inode alone decide.
    const noBirth = identify([rec(a.id, a.key, [root(a.key, '100', 0)])], { key: '/x', roots: [root('/x', '100', 0)] }, { newId, now: 9 });
    assert.equal(noBirth.id, a.id);
  });

  it('multi-root: the same set of folders in any order matches; a folder more or less does not', () => {
    const m = rec('ws-000000000000000b', '/w/ws.code-workspace', [root('/w/a', '1'), root('/w/b', '2')]);
    assert.equal(identify([m], { key: '/w/moved.code-workspace', roots: [root('/x/b', '2'), root('/x/a', '1')] }, { newId, now: 9 }).id, m.id);
    assert.equal(identify([m], { key: '/w/other.code-workspace', roots: [root('/w/a', '1')] }, { newId, now: 9 }).by, 'new');
    // The saved workspace file is the path key, so adding a folder to it keeps the id.
    assert.equal(identify([m], { key: '/w/ws.code-workspace', roots: [root('/w/a', '1'), root('/w/b', '2'), root('/w/c', '3')] }, { newId, now: 9 }).id, m.id);
  });

  it('among several matches the one seen last wins; a folder with no readable roots matches by path only', () => {
    const old = rec('ws-0000000000000001', '/p', [root('/p', '5')], 1);
    const recent = rec('ws-0000000000000002', '/q', [root('/q', '5')], 2);
    assert.equal(identify([old, recent], { key: '/r', roots: [root('/r', '5')] }, { newId, now: 9 }).id, recent.id);
    assert.equal(identify([old], { key: '/none', roots: [] }, { newId, now: 9 }).by, 'new');
  });

  it('records read back are checked field by field', () => {
    assert.deepEqual(checkWorkspaceRecord(JSON.parse(JSON.stringify(a))), a);
    for (const bad of [null, { ...a, version: 2 }, { ...a, id: '../x' }, { ...a, roots: [{ path: '/p', dev: 1, ino: '2', birthtimeMs: 0 }] }, { ...a, key: '' }]) {
      assert.throws(() => checkWorkspaceRecord(bad));
    }
  });
});

describe('state: workspace registry on disk', () => {
  it('a folder renamed on disk keeps its id; a copy of it gets a new one; a corrupt record is skipped', async () => {
    const home = tempDir();
    const registry = new WorkspaceRegistry(path.join(home, 'storage', 'workspaces'));
    const proj = path.join(home, 'proj');
    fs.mkdirSync(proj);
    const seen = (p: string) => ({ key: p, roots: [statRoot(p)!] });
    const first = registry.identify(seen(proj), 1);
    assert.equal(first.by, 'new');
    await registry.save(first.record);
    assert.equal(registry.identify(seen(proj), 2).id, first.id);

    const renamed = path.join(home, 'renamed');
    fs.renameSync(proj, renamed);
    const afterRename = registry.identify(seen(renamed), 3);
    assert.deepEqual([afterRename.id, afterRename.by], [first.id, 'inode']);
    await registry.save(afterRename.record);

    const copy = path.join(home, 'copy');
    fs.cpSync(renamed, copy, { recursive: true });
    assert.equal(registry.identify(seen(copy), 4).by, 'new');

    fs.writeFileSync(path.join(registry.dir, 'ws-00000000000000ff.json'), '{');
    fs.writeFileSync(path.join(registry.dir, 'ws-00000000000000fe.json'), JSON.stringify({ ...afterRename.record }));
    const r = registry.read();
    assert.deepEqual(r.records.map((x) => x.id), [first.id]);
    assert.equal(r.problems.length, 2, 'unreadable JSON, and a record under another id\'s name');
  });
});
