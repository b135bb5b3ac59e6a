import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AlertEngine } from '../../src/core/alerts';
import { ManualClock } from '../../src/core/clock';
import { HealthMonitor } from '../../src/core/health';
import { isGardenerError } from '../../src/core/errors';
import {
  alertRunbook,
  BUNDLED_RUNBOOKS,
  commandLink,
  formatSettingValue,
  heading,
  listRunbooks,
  MAX_RUNBOOK_BYTES,
  parseCommandLink,
  placeholdersIn,
  readRunbookFile,
  renderRunbook,
  runbookPage,
  runbookForAlert,
  runbookName,
  userRunbookFolder,
  type RenderOptions,
} from '../../src/core/runbooks';
import { scripted, settings, tempDir } from './fixtures';

const root = path.resolve(__dirname, '..', '..', '..');
const bundled = path.join(root, 'runbooks');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  contributes: { commands: { command: string; title: string }[]; configuration: { properties: Record<string, { default?: unknown }> } | { properties: Record<string, { default?: unknown }> }[] };
};
// The settings are grouped (Monitoring, Alerts, …): every group's, as one map.
const groups = manifest.contributes.configuration;
const settingDefaults = Object.assign({}, ...(Array.isArray(groups) ? groups : [groups]).map((g) => g.properties)) as Record<string, { default?: unknown }>;
const ourCommands = new Map(manifest.contributes.commands.map((c) => [c.command, c.title]));
/** Added by the maintenance work on main (issue 13); the runbooks link to them ahead of the merge. */
const MAINTENANCE_COMMANDS = ['runMaintenanceTask', 'scheduleMaintenance', 'cancelMaintenanceTask', 'showMaintenanceStatus'].map((c) => `codebaseGardener.${c}`);
const MAINTENANCE_SETTING = /^codebaseGardener\.maintenance\.schedule\.(healthCheck|dataCleanup|logRotation|backupMaintenance|backupFull|backupIncremental|backupConfiguration|backupUserData)$/;

function options(over: Partial<RenderOptions> = {}): RenderOptions {
  return {
    setting: (key) => (key in settingDefaults ? { known: true, value: settingDefaults[key].default } : { known: false }),
    commands: ourCommands,
    runbooks: new Set(BUNDLED_RUNBOOKS),
    ...over,
  };
}

function write(dir: string, name: string, text: string | Buffer): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

describe('Runbooks', () => {
  describe('which runbook handles an alert', () => {
    const table: [string, string, string][] = [
      ['system', 'cpu', 'system_health_check'],
      ['system', 'memory', 'system_health_check'],
      ['system', 'disk', 'system_health_check'],
      ['system', 'integrationScore', 'system_health_check'],
      ['Model server', 'availability', 'system_health_check'],
      ['Model server', 'responseTime', 'system_health_check'],
      // A probe may be named anything, even like a feature: its metrics still say health.
      ['Postgres', 'availability', 'system_health_check'],
      ['backup', 'run', 'backup_procedures'],
      ['backup', 'restore', 'backup_procedures'],
      ['backup', 'validation', 'backup_procedures'],
      ['backup', 'freshness', 'backup_procedures'],
      ['backup', 'catalog', 'backup_procedures'],
      ['backup', 'key', 'backup_procedures'],
      ['logs', 'write', 'log_management'],
      ['logs', 'retention', 'log_management'],
      ['maintenance', 'logRotation', 'log_management'],
      ['maintenance', 'backupMaintenance', 'backup_procedures'],
      ['maintenance', 'backupFull', 'backup_procedures'],
      ['maintenance', 'backupIncremental', 'backup_procedures'],
      ['maintenance', 'healthCheck', 'system_health_check'],
      ['maintenance', 'dataCleanup', 'system_health_check'],
      ['update', 'version', 'system_update'],
      ['extension', 'activation', 'system_update'],
      ['something new', 'whatever', 'system_health_check'],
    ];
    for (const [component, metric, runbook] of table) {
      it(`${component} / ${metric} → ${runbook}`, () => assert.equal(runbookForAlert({ component, metric }), runbook));
    }

    it('every runbook the mapping names is bundled', () => {
      for (const name of new Set(table.map((t) => t[2]))) assert.ok(fs.existsSync(path.join(bundled, `${name}.md`)), name);
      for (const name of BUNDLED_RUNBOOKS) assert.ok(fs.existsSync(path.join(bundled, `${name}.md`)), name);
    });

    it('alerts get their runbook when raised: health alerts and event alerts such as backup failures', async () => {
      const clock = new ManualClock();
      const engine = new AlertEngine(clock, { pendingSamples: 1 });
      const backup = engine.raise({ component: 'backup', metric: 'run', level: 'WARNING', message: 'A full backup failed' });
      assert.equal(backup.alert.runbook, 'backup_procedures');
      const chosen = engine.raise({ component: 'backup', metric: 'other', level: 'WARNING', message: 'x', runbook: 'my_runbook' });
      assert.equal(chosen.alert.runbook, 'my_runbook');
      const monitor = new HealthMonitor({ clock, dataDir: tempDir(), settings: settings({ intervalMs: 30_000 }), metrics: scripted(clock, [{ cpuPercent: 99 }]) });
      clock.advance(30_000);
      const events = engine.observeReport(await monitor.comprehensiveHealthCheck());
      const cpu = events.find((e) => e.alert.metric === 'cpu');
      assert.equal(cpu?.alert.runbook, 'system_health_check');
    });

    it('an alert saved without a runbook, or with a name that is not one, still gets the runbook for its kind', () => {
      assert.equal(alertRunbook({ component: 'backup', metric: 'freshness' }), 'backup_procedures');
      assert.equal(alertRunbook({ component: 'backup', metric: 'run', runbook: '../../etc/passwd' }), 'backup_procedures');
      assert.equal(alertRunbook({ component: 'system', metric: 'cpu', runbook: 'my_cpu' }), 'my_cpu');
    });
  });

  describe('names and folders', () => {
    it('accepts only lower-case letters, digits, _ and - as a name', () => {
      const table: [unknown, string | undefined][] = [
        ['backup_procedures', 'backup_procedures'],
        ['backup_procedures.md', 'backup_procedures'],
        ['my-runbook-2', 'my-runbook-2'],
        ['Backup', undefined],
        ['../backup_procedures', undefined],
        ['a/b', undefined],
        ['a\\b', undefined],
        ['.md', undefined],
        ['', undefined],
        ['x.md.md', undefined],
        ['nul\u0000', undefined],
        [42, undefined],
        ['a'.repeat(101), undefined],
      ];
      for (const [given, want] of table) assert.equal(runbookName(given), want, JSON.stringify(given));
    });

    it('takes the user folder as an absolute path or ~/…, and says why otherwise', () => {
      const dir = tempDir();
      assert.deepEqual(userRunbookFolder('', '/home/x'), {});
      assert.deepEqual(userRunbookFolder(dir, '/home/x'), { folder: dir });
      const home = path.dirname(dir);
      assert.deepEqual(userRunbookFolder(`~/${path.basename(dir)}`, home), { folder: dir });
      assert.match(userRunbookFolder('runbooks', home).problem ?? '', /must be an absolute path or ~\/…/);
      assert.match(userRunbookFolder(path.join(dir, 'missing'), home).problem ?? '', /does not exist/);
      assert.match(userRunbookFolder(write(dir, 'f.md', '# x'), home).problem ?? '', /is not a folder/);
    });

    it('lists the four bundled runbooks with their title and first paragraph', () => {
      const { runbooks, problems } = listRunbooks({ bundled });
      assert.deepEqual(problems, []);
      assert.deepEqual(runbooks.map((r) => r.name).sort(), [...BUNDLED_RUNBOOKS].sort());
      const health = runbooks.find((r) => r.name === 'system_health_check')!;
      assert.equal(health.title, 'System health check');
      assert.match(health.description, /^What to do when Codebase Gardener reports a health warning/);
      assert.ok(runbooks.every((r) => r.source === 'bundled' && r.title && r.description));
    });

    it("a user runbook with a bundled one's name overrides it; others are added", () => {
      const user = tempDir();
      write(user, 'backup_procedures.md', '# Our backup procedures\n\nUse the NAS.\n');
      write(user, 'restart_model_server.md', '# Restart the model server\n\nWhen it hangs.\n');
      const { runbooks, problems } = listRunbooks({ bundled, user });
      assert.deepEqual(problems, []);
      assert.equal(runbooks.length, 5);
      const b = runbooks.find((r) => r.name === 'backup_procedures')!;
      assert.equal(b.source, 'user');
      assert.equal(b.title, 'Our backup procedures');
      assert.equal(b.overrides, path.join(bundled, 'backup_procedures.md'));
      assert.equal(runbooks.find((r) => r.name === 'restart_model_server')?.description, 'When it hangs.');
    });

    it('leaves out hostile files of the user folder, saying why, and never reads through a link', function () {
      const user = tempDir();
      const outside = tempDir();
      const secret = write(outside, 'secret.md', '# Secret\n\nOutside the folder.\n');
      write(user, 'Capital.md', '# x');
      write(user, 'has space.md', '# x');
      write(user, 'big.md', Buffer.alloc(MAX_RUNBOOK_BYTES + 1, 0x61));
      write(user, 'binary.md', Buffer.from([0x23, 0x20, 0x00, 0x41]));
      write(user, 'latin1.md', Buffer.from([0x23, 0x20, 0xe9, 0x0a]));
      fs.mkdirSync(path.join(user, 'folder.md'));
      let linked = true;
      try {
        fs.symlinkSync(secret, path.join(user, 'system_update.md'));
        fs.symlinkSync(outside, path.join(user, 'dir-link.md'));
      } catch {
        linked = false; // no symlinks here (Windows without the privilege)
      }
      write(user, 'fine.md', '# Fine\n\nA good one.\n');
      const { runbooks, problems } = listRunbooks({ bundled, user });
      const names = runbooks.map((r) => r.name);
      assert.ok(names.includes('fine'));
      for (const bad of ['Capital', 'has space', 'big', 'binary', 'latin1', 'folder', 'dir-link']) assert.ok(!names.includes(bad), bad);
      const text = problems.join('\n');
      assert.match(text, /Capital\.md is left out: a runbook's name is lower-case/);
      assert.match(text, /big\.md is left out: it is larger than 256 KB/);
      assert.match(text, /binary\.md is left out: it holds binary data/);
      assert.match(text, /latin1\.md is left out: it is not valid UTF-8/);
      assert.match(text, /folder\.md is left out: it is not a plain file/);
      if (linked) {
        // The link does not override the bundled runbook, and its target is never read.
        const update = runbooks.find((r) => r.name === 'system_update')!;
        assert.equal(update.source, 'bundled');
        assert.match(text, /system_update\.md is left out: it is a link/);
        assert.throws(
          () => readRunbookFile(path.join(user, 'system_update.md')),
          (e: unknown) => isGardenerError(e, 'UNSAFE_PATH'),
        );
      }
    });

    it('takes the title and description from the text, or the title from the name', () => {
      assert.deepEqual(heading('# **Restart** the `server`\n\nWhen it [hangs](x.md) badly,\nor dies.\n\nMore.', 'r'), {
        title: 'Restart the server',
        description: 'When it hangs badly, or dies.',
      });
      assert.deepEqual(heading('No heading here.\n', 'restart_model-server'), { title: 'Restart model server', description: 'No heading here.' });
      assert.equal(heading(`# T\n\n${'word '.repeat(100)}`, 'x').description.length, 240);
    });
  });

  describe('rendering', () => {
    it('fills placeholders with the current settings, escaped, in text and code alike', () => {
      const r = renderRunbook('CPU warning at {{codebaseGardener.thresholds.cpuWarning}} %; `{{ codebaseGardener.logs.level }}`\n\n```\nmax {{codebaseGardener.logs.maxFiles}}\n```\n', options());
      assert.match(r.html, /CPU warning at <span class="setting" title="Your setting codebaseGardener.thresholds.cpuWarning">75<\/span> %/);
      assert.match(r.html, /<code>INFO<\/code>/);
      assert.match(r.html, /<pre><code>max 5\n<\/code><\/pre>/);
      assert.deepEqual(
        r.placeholders.map((p) => [p.key, p.text]),
        [
          ['codebaseGardener.thresholds.cpuWarning', '75'],
          ['codebaseGardener.logs.level', 'INFO'],
          ['codebaseGardener.logs.maxFiles', '5'],
        ],
      );
    });

    it('follows the settings: a changed threshold shows its new value', () => {
      const r = renderRunbook('{{codebaseGardener.thresholds.cpuWarning}}', options({ setting: () => ({ known: true, value: 42 }) }));
      assert.match(r.html, />42</);
    });

    it('shows an unknown placeholder visibly, never as an empty string', () => {
      const r = renderRunbook('Limit {{codebaseGardener.no.such}} and `{{editor.fontSize}}`', options());
      assert.match(r.html, /<span class="setting unknown" title="codebaseGardener.no.such is not a Codebase Gardener setting">\{\{codebaseGardener.no.such\}\} <em>\(unknown setting\)<\/em><\/span>/);
      assert.match(r.html, /<code>\{\{editor.fontSize\}\} \(unknown setting\)<\/code>/);
      assert.deepEqual(
        r.placeholders.map((p) => p.known),
        [false, false],
      );
    });

    it('a setting value cannot inject markup or links', () => {
      const evil = '<img src=x onerror=alert(1)> [run](command:codebaseGardener.deleteBackup) **bold**';
      const r = renderRunbook('Folder: {{codebaseGardener.backups.folder}}', options({ setting: () => ({ known: true, value: evil }) }));
      assert.ok(!r.html.includes('<img'));
      assert.ok(!r.html.includes('<a '));
      assert.ok(!r.html.includes('<strong>'));
      assert.match(r.html, /&lt;img src=x onerror=alert\(1\)&gt; \[run\]\(command:codebaseGardener.deleteBackup\) \*\*bold\*\*/);
    });

    it('formats values as a reader expects', () => {
      const table: [unknown, string][] = [
        [75, '75'],
        ['INFO', 'INFO'],
        ['', '(not set)'],
        [undefined, '(not set)'],
        [true, 'on'],
        [false, 'off'],
        [[], '(none)'],
        [['~/notes', '/srv/db'], '~/notes, /srv/db'],
        [[{ name: 'Dev server', kind: 'http' }, { kind: 'tcp' }], 'Dev server, {"kind":"tcp"}'],
        [{ a: 1 }, '{"a":1}'],
      ];
      for (const [v, want] of table) assert.equal(formatSettingValue(v), want, JSON.stringify(v));
    });

    it('keeps command links to our commands, with JSON arguments, and marks them', () => {
      const href = commandLink('codebaseGardener.createBackup', 'FULL');
      assert.equal(href, 'command:codebaseGardener.createBackup?%5B%22FULL%22%5D');
      assert.deepEqual(parseCommandLink(href), { command: 'codebaseGardener.createBackup', args: ['FULL'] });
      const r = renderRunbook(`[Full backup](${href}) and [check](command:codebaseGardener.runHealthCheck)`, options());
      assert.match(r.html, /<a href="command:codebaseGardener.createBackup\?%5B%22FULL%22%5D" class="command" title="Run “Create Backup…” \(codebaseGardener.createBackup\)">Full backup<\/a>/);
      assert.match(r.html, /<a href="command:codebaseGardener.runHealthCheck" class="command"/);
      assert.deepEqual(
        r.links.map((l) => l.kind),
        ['command', 'command'],
      );
    });

    it('refuses hostile links: other commands, bad arguments, scripted confirmations, other schemes, raw HTML', () => {
      const table: [string, RegExp][] = [
        ['[x](command:workbench.action.terminal.sendSequence?%5B%7B%22text%22%3A%22rm%22%7D%5D)', /is not a Codebase Gardener command/],
        ['[x](command:codebaseGardener.createBackup?not-json)', /not URL-encoded JSON/],
        ['[x](command:codebaseGardener.restoreBackup?%5B%22id%22%2C%7B%22confirmed%22%3Atrue%7D%5D)', /only without arguments, so that it asks first/],
        ['[x](command:codebaseGardener.deleteBackup?%5B%22id%22%5D)', /only without arguments/],
        ['[x](file:///etc/passwd)', /./],
        ['[x](vscode://file/etc/passwd)', /only Codebase Gardener commands/],
        ['[x](../outside.md)', /only Codebase Gardener commands/],
        ['[x](/etc/passwd)', /only Codebase Gardener commands/],
        ['[x](no_such_runbook.md)', /there is no runbook named no_such_runbook/],
      ];
      for (const [md, reason] of table) {
        const r = renderRunbook(md, options());
        assert.ok(!/<a /.test(r.html), `${md} → ${r.html}`);
        if (!md.includes('file:')) {
          assert.equal(r.links[0]?.kind, 'blocked', md);
          assert.match(r.links[0].reason ?? '', reason, md);
          assert.match(r.html, /<span class="blocked-link" title="Not a link: /);
        }
      }
      const raw = renderRunbook('<a href="command:codebaseGardener.deleteBackup">x</a><script>alert(1)</script><img src=x onerror=y>', options());
      assert.ok(!/<a |<script|<img/.test(raw.html), raw.html);
      const img = renderRunbook('![diagram](https://example.com/x.png)', options());
      assert.match(img.html, /<span class="image-omitted" title="Images are not shown in runbooks">\[image: diagram\]<\/span>/);
    });

    it('turns links to other runbooks into links that open them, and keeps web links and anchors', () => {
      const r = renderRunbook('[b](backup_procedures.md) [b2](./log_management.md#section) [web](https://code.visualstudio.com/) [up](#top)\n\n## A heading\n\n## A heading', options());
      assert.match(r.html, /<a href="command:codebaseGardener.openRunbook\?%5B%22backup_procedures%22%5D" class="runbook"/);
      assert.match(r.html, /<a href="command:codebaseGardener.openRunbook\?%5B%22log_management%22%5D" class="runbook"/);
      assert.match(r.html, /<a href="https:\/\/code.visualstudio.com\/" class="web"/);
      assert.match(r.html, /<a href="#top" class="anchor">/);
      assert.match(r.html, /<h2 id="a-heading">A heading<\/h2>\n<h2 id="a-heading-1">/);
    });
  });

  describe('the page', () => {
    it('loads our stylesheet and nothing else: no script, no inline style, no image, no form', () => {
      const html = runbookPage({
        cspSource: 'https://x.vscode-cdn.net',
        stylesheet: 'https://x.vscode-cdn.net/media/runbook.css',
        entry: { name: 'mine', title: 'A <b>title</b>', source: 'user', file: '/home/me/"runbooks"/mine.md' },
        body: '<p>body</p>',
      });
      const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1].replace(/&#39;/g, "'");
      assert.equal(csp, "default-src 'none'; style-src https://x.vscode-cdn.net; img-src 'none'; form-action 'none'; base-uri 'none'");
      assert.ok(!/<script|unsafe-inline|unsafe-eval| style=/.test(html));
      assert.match(html, /<title>A &#60;b&#62;title&#60;\/b&#62;<\/title>/);
      assert.match(html, /From your runbooks folder: <code>\/home\/me\/&#34;runbooks&#34;\/mine.md<\/code>/);
    });
  });

  describe('the bundled runbooks', () => {
    for (const name of BUNDLED_RUNBOOKS) {
      it(`${name}: every placeholder is a real setting and every link runs a real command with valid arguments`, () => {
        const text = fs.readFileSync(path.join(bundled, `${name}.md`), 'utf8');
        for (const key of placeholdersIn(text)) assert.ok(key in settingDefaults || MAINTENANCE_SETTING.test(key), `${name}: {{${key}}} is not a setting`);
        // The maintenance commands arrive with the scheduler; until then their links show as not-links.
        const commands = new Map([...ourCommands, ...MAINTENANCE_COMMANDS.map((c) => [c, c] as [string, string])]);
        const r = renderRunbook(text, options({ commands }));
        const blocked = r.links.filter((l) => l.kind === 'blocked');
        assert.deepEqual(blocked, [], `${name}: ${JSON.stringify(blocked)}`);
        const commandLinks = r.links.filter((l) => l.kind === 'command' || l.kind === 'runbook');
        assert.ok(commandLinks.length >= 5, `${name} has ${commandLinks.length} command links`);
        for (const l of commandLinks) assert.ok(parseCommandLink(l.href), l.href);
        // Thresholds come from the settings, never written into the text.
        assert.ok(!/\b(75|90|80|95|85) ?%/.test(text), `${name} quotes a threshold as a number`);
      });
    }
  });
});
