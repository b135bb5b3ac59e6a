// Trust: with encryption on, nothing in the backups folder names a file, a path or a hash of
// the sources: not the archives, the catalog, the manifests, the restore journals, nor a file name.
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { manager, snapshot, write } from './backupFixtures';
import { tempDir } from './fixtures';
import { journalFiles } from './trustFixtures';

/** What must not be found: each source file's base name, relative path, sha256 (hex and raw), and a line of its text. */
class Needles {
  readonly all = new Map<string, Buffer>();

  add(rel: string, content: Buffer): void {
    const sha = createHash('sha256').update(content).digest();
    for (const part of rel.split('/').filter((p) => p.startsWith('zq-'))) this.all.set(`the name ${part}`, Buffer.from(part));
    this.all.set(`the path ${rel}`, Buffer.from(rel));
    this.all.set(`the sha256 of ${rel} (${sha.toString('hex').slice(0, 8)}…) in hex`, Buffer.from(sha.toString('hex')));
    this.all.set(`the sha256 of ${rel} (${sha.toString('hex').slice(0, 8)}…) as bytes`, sha);
    const line = content.toString('utf8').split('\n')[0];
    if (line.startsWith('zq ')) this.all.set(`the text of ${rel}`, Buffer.from(line));
  }
}

/** Every file (and every name) under `dir` searched for every needle: what was found where, and how many files were read. */
function leaks(dir: string, needles: Needles): { found: string[]; files: number } {
  const found: string[] = [];
  let files = 0;
  const visit = (abs: string, rel: string): void => {
    for (const name of fs.readdirSync(abs)) {
      const child = path.join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(child);
      const bytes = st.isDirectory() || st.isSymbolicLink() ? Buffer.alloc(0) : fs.readFileSync(child);
      if (st.isFile()) files++;
      for (const [what, needle] of needles.all) {
        if (name.includes(needle.toString('latin1')) || bytes.includes(needle)) found.push(`${what} in ${r}`);
      }
      if (st.isDirectory()) visit(child, r);
    }
  };
  visit(dir, '');
  return { found, files };
}

describe('trust: what encryption hides', () => {
  it('no name, relative path or sha256 of a source file is in any file or file name under the backups folder: after a full, an incremental with a deletion, while and after restoring, and after Undo', async function () {
    this.timeout(60_000);
    const data = tempDir();
    const needles = new Needles();
    const put = (rel: string, content: Buffer, mode?: number): void => {
      write(data, rel, content, mode);
      needles.add(rel, content);
    };
    put('zq-secret-folder-77/zq-unique-name-123.txt', Buffer.from('zq secret content one\n'.repeat(40)));
    put('projects/zq-project-deep-42/zq-notes-alpha-9.md', Buffer.from('zq notes of the alpha project\n'.repeat(200)));
    put('projects/zq-project-deep-42/zq-empty-file-12.txt', Buffer.alloc(0));
    put('settings/zq-settings-file-5.json', Buffer.from(JSON.stringify({ zq: 'zq settings value', token: 'zq-token-value-991' })), 0o600);
    put('projects/zq-big-binary-8.bin', randomBytes(300 * 1024));
    put('contexts/zq-to-be-deleted-31.txt', Buffer.from('zq soon to be deleted\n'));
    fs.mkdirSync(path.join(data, 'projects/zq-empty-folder-61'));
    needles.add('projects/zq-empty-folder-61', Buffer.from('zq-empty-folder-61'));

    const m = manager(data);
    await m.init();
    const scans: Record<string, number> = {};
    const scan = (when: string): void => {
      const { found, files } = leaks(m.backupsDir, needles);
      assert.deepEqual(found, [], when);
      scans[when] = files;
    };
    const full = await m.createBackup('FULL');
    assert.equal(full.encrypted, true);
    scan('after a full backup');

    put('zq-secret-folder-77/zq-unique-name-123.txt', Buffer.from('zq secret content two\n'.repeat(41)));
    put('projects/zq-added-later-44.txt', Buffer.from('zq added after the full backup\n'));
    fs.rmSync(path.join(data, 'contexts/zq-to-be-deleted-31.txt'));
    const inc = await m.createBackup('INCREMENTAL');
    assert.equal(inc.type, 'INCREMENTAL');
    assert.deepEqual((await m.catalog.manifest(inc.id)).deleted, ['contexts/zq-to-be-deleted-31.txt']);
    scan('after an incremental with a deletion');

    // While the restore runs its journal is in the backups folder: searched too, in each state.
    const during = new Set<string>();
    const before = snapshot(data);
    const restored = await m.restore(full.id, {
      onProgress: (p) => {
        if (during.has(p.phase)) return;
        during.add(p.phase);
        assert.equal(journalFiles(m.backupsDir).length, 1, `a journal is there while ${p.phase}`);
        scan(`while ${p.phase}`);
      },
    });
    assert.deepEqual([...during].sort(), ['staging', 'swapping']);
    assert.ok(fs.existsSync(path.join(data, 'contexts/zq-to-be-deleted-31.txt')), 'the full backup was restored');
    scan('after the restore');

    await m.undoRestore(restored.snapshotId);
    assert.deepEqual(snapshot(data), before);
    scan('after Undo');
    // An archive, a catalog and a manifest each time, and a journal while restoring.
    assert.ok(Object.values(scans).every((n) => n >= 3), `files searched: ${JSON.stringify(scans)}`);
    assert.ok(scans['while staging'] > scans['after the restore']);
    console.log(`      ${needles.all.size} needles; files searched: ${JSON.stringify(scans)}`);

    // The search finds what is there: in a plain backup of the same files, every kind of needle.
    const plain = manager(data, path.join(tempDir(), 'plain'), null, { encrypt: false });
    await plain.init();
    await plain.createBackup('FULL');
    const shown = leaks(plain.backupsDir, needles).found;
    for (const kind of ['the name', 'the path', 'the sha256 of projects/zq-big-binary-8.bin']) assert.ok(shown.some((f) => f.startsWith(kind)), `a plain backup shows ${kind}`);
  });
});
