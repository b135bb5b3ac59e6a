import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { select, walk, walkBatches, type FileInfo, type Selection, type WalkReport } from '../../src/core/backup/walk';
import { tempDir } from './fixtures';

const report = (): WalkReport => ({ dirs: [], skipped: [] });
const byPath = <T extends { path: string }>(xs: T[]): T[] => [...xs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

function file(root: string, rel: string, body = 'x'): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), body);
}

/** A folder with an exact mode, whatever the umask. */
function folder(root: string, rel: string, mode = 0o755): void {
  fs.mkdirSync(path.join(root, rel), { recursive: true });
  fs.chmodSync(path.join(root, rel), mode);
}

/** A path under dir whose last name holds these bytes, which need not be UTF-8. */
const rawPath = (dir: string, name: number[]): Buffer => Buffer.concat([Buffer.from(dir + '/'), Buffer.from(name)]);

/** walk() and walkBatches() on the same tree, each with its own report, put side by side. */
async function both(root: string, sel: Selection): Promise<{ files: string[]; report: WalkReport }> {
  const r1 = report();
  const files = (await walk(root, sel, undefined, r1)).map((f) => f.path);
  const r2 = report();
  const found: FileInfo[] = [];
  for await (const batch of walkBatches(root, sel, undefined, r2)) found.push(...batch);
  assert.deepEqual(byPath(found).map((f) => f.path), files, 'walkBatches finds what walk finds');
  assert.deepEqual({ dirs: byPath(r2.dirs), skipped: byPath(r2.skipped) }, r1, 'and reports the same');
  assert.deepEqual(r1.dirs, byPath(r1.dirs), 'walk sorts the folders');
  assert.deepEqual(r1.skipped, byPath(r1.skipped), 'and what it left out');
  assert.deepEqual((await walk(root, sel)).map((f) => f.path), files, 'without a report, the same files');
  return { files, report: r1 };
}

describe('backup walk: nothing left out silently, folders seen', () => {
  it('reports empty and owner-only folders with their modes, and links, odd names and fifos as skipped, never following a link', async () => {
    const root = tempDir();
    const outside = tempDir();
    file(outside, 'inside.txt');
    file(root, 'a.txt');
    folder(root, 'empty');
    folder(root, 'private', 0o700);
    file(root, 'private/secret.txt');
    fs.symlinkSync('a.txt', path.join(root, 'link-file'));
    fs.symlinkSync(outside, path.join(root, 'link-dir'));
    folder(root, 'odd');
    fs.writeFileSync(rawPath(path.join(root, 'odd'), [0x66, 0xff, 0x6f]), 'x');
    fs.writeFileSync(rawPath(path.join(root, 'odd'), [0xc3, 0xa9, 0xff]), 'x'); // é, then a stray byte
    file(root, 'odd/real\uFFFD.txt'); // U+FFFD written as UTF-8: a valid name, kept
    file(root, 'odd/plain.txt');
    const badDir = rawPath(path.join(root, 'odd'), [0x64, 0xc3]);
    fs.mkdirSync(badDir);
    fs.writeFileSync(Buffer.concat([badDir, Buffer.from('/lost.txt')]), 'x');
    execFileSync('mkfifo', [path.join(root, 'fifo')]);
    folder(root, 'logs');
    file(root, 'logs/x.log');
    fs.symlinkSync('/nowhere', path.join(root, 'logs/ignored-link'));

    const { files, report: r } = await both(root, select(['**'], ['logs/**']));

    assert.deepEqual(files, ['a.txt', 'odd/plain.txt', 'odd/real\uFFFD.txt', 'private/secret.txt'], 'nothing from the linked folder, nothing from logs');
    assert.deepEqual(r.dirs, [
      { path: 'empty', mode: 0o755 },
      { path: 'odd', mode: 0o755 },
      { path: 'private', mode: 0o700 },
    ]);
    assert.deepEqual(r.skipped, [
      { path: 'fifo', reason: 'special', detail: 'named pipe (fifo)' },
      { path: 'link-dir', reason: 'symlink', detail: outside },
      { path: 'link-file', reason: 'symlink', detail: 'a.txt' },
      { path: 'odd/d\\xc3', reason: 'not-utf8', detail: 'name is not valid UTF-8' },
      { path: 'odd/f\\xffo', reason: 'not-utf8', detail: 'name is not valid UTF-8' },
      { path: 'odd/é\\xff', reason: 'not-utf8', detail: 'name is not valid UTF-8' },
    ]);
  });

  it('records a folder when the selection keeps it or the files in it, and does not enter folders no include reaches', async () => {
    const root = tempDir();
    for (const d of ['settings/empty', 'projects/p1/empty', 'projects/p2', 'x.tmp', 'other']) folder(root, d);
    file(root, 'settings/app.json');
    file(root, 'projects/p1/a.txt');
    file(root, 'projects/p2/b.txt');
    file(root, 'x.tmp/c.txt');
    fs.symlinkSync('app.json', path.join(root, 'projects/p2/link'));
    fs.symlinkSync('app.json', path.join(root, 'settings/link'));

    const config = await both(root, select(['settings/**'], []));
    assert.deepEqual(config.files, ['settings/app.json']);
    assert.deepEqual(config.report.dirs.map((d) => d.path), ['settings', 'settings/empty'], '`settings/**` keeps settings itself');
    assert.deepEqual(config.report.skipped, [{ path: 'settings/link', reason: 'symlink', detail: 'app.json' }], 'a link outside the selection is not news');
    assert.ok(select(['settings/**'], []).prunes('projects'), 'no include reaches projects');
    assert.ok(!select(['projects/p1/**'], []).prunes('projects'), 'but one deeper does');
    assert.ok(!select(['**/*.json'], []).prunes('projects'), 'and any other glob is assumed to');

    const one = await both(root, select(['projects/p1/**'], []));
    assert.deepEqual(one.files, ['projects/p1/a.txt']);
    assert.deepEqual(one.report.dirs.map((d) => d.path), ['projects/p1', 'projects/p1/empty'], 'projects only leads there: a restore makes it like any parent');

    const all = await both(root, select(['**'], ['*.tmp']));
    assert.deepEqual(all.files, ['projects/p1/a.txt', 'projects/p2/b.txt', 'settings/app.json', 'x.tmp/c.txt']);
    assert.deepEqual(
      all.report.dirs.map((d) => d.path),
      ['other', 'projects', 'projects/p1', 'projects/p1/empty', 'projects/p2', 'settings', 'settings/empty', 'x.tmp'],
      'x.tmp itself is excluded, but its files are kept: so is the folder',
    );
  });

  it('reports a folder it cannot read, and a file it cannot look at, instead of failing; an unreadable root still fails (as nobody when the tests run as root, who reads everything)', function () {
    const root = tempDir();
    fs.chmodSync(root, 0o755);
    file(root, 'ok.txt');
    file(root, 'locked/hidden.txt');
    file(root, 'listonly/file.txt');
    fs.chmodSync(path.join(root, 'locked'), 0o000);
    fs.chmodSync(path.join(root, 'listonly'), 0o644); // listed, but not searched: no stat inside
    try {
      // A child, so it can run as another user: the built walk, on the tree, and on a locked root.
      const script = `
        const { select, walk } = require(process.argv[1]);
        const [root, locked] = process.argv.slice(2);
        (async () => {
          const report = { dirs: [], skipped: [] };
          const files = (await walk(root, select(['**'], []), undefined, report)).map((f) => f.path);
          const rootError = await walk(locked, select(['**'], [])).then(() => 'none', (e) => e.code);
          const missing = await walk(root + '/missing', select(['**'], []));
          process.stdout.write(JSON.stringify({ files, report, rootError, missing }));
        })();`;
      const asRoot = process.getuid?.() === 0;
      const r = spawnSync(process.execPath, ['-e', script, path.join(__dirname, '..', '..', 'src', 'core', 'backup', 'walk.js'), root, path.join(root, 'locked')], {
        encoding: 'utf8',
        ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
      });
      if (r.error && asRoot) this.skip(); // no way to become another user here
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), {
        files: ['ok.txt'],
        report: {
          dirs: [{ path: 'listonly', mode: 0o644 }],
          skipped: [
            { path: 'listonly/file.txt', reason: 'unreadable', detail: 'permission denied' },
            { path: 'locked', reason: 'unreadable', detail: 'permission denied' },
          ],
        },
        rootError: 'EACCES',
        missing: [],
      });
    } finally {
      fs.chmodSync(path.join(root, 'locked'), 0o755);
      fs.chmodSync(path.join(root, 'listonly'), 0o755);
    }
  });
});
