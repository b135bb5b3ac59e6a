import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ALERT_SETTINGS } from '../../src/core/alerts';
import { DEFAULT_BACKUP_SETTINGS } from '../../src/core/backup';
import { DEFAULT_PROBE_TIMEOUT_MS } from '../../src/core/health';
import { DEFAULT_LOG_SETTINGS } from '../../src/core/logs';
import { DEFAULT_MAINTENANCE_SETTINGS, readMaintenanceSettings, TASKS } from '../../src/core/maintenance';
import { settingProperties, show, validateSettings, type ConfigurationGroup, type SettingSchema } from '../../src/core/settings';
import { manifest, validated } from './fixtures';

const declared = settingProperties(manifest.contributes.configuration);
const P = 'codebaseGardener.';

/** A value of the wrong type for a schema. */
function wrongType(s: SettingSchema): unknown {
  switch (s.type) {
    case 'number':
    case 'integer':
      return 'many';
    case 'string':
      return 42;
    case 'boolean':
      return 'yes';
    case 'array':
      return 'not a list';
    default:
      return 7;
  }
}

/** Values a schema's bounds or enum reject (none for a schema with neither). */
function outOfRange(s: SettingSchema): unknown[] {
  const out: unknown[] = [];
  if (typeof s.minimum === 'number') out.push(s.minimum - 1);
  if (typeof s.maximum === 'number') out.push(s.maximum + 1);
  if (s.type === 'integer' && typeof s.minimum === 'number') out.push(s.minimum + 0.5);
  if (Array.isArray(s.enum)) out.push('none of these');
  return out;
}

describe('settings: one schema (package.json), validated by ajv in the core', () => {
  it('walks every setting package.json declares: a wrong-typed or out-of-range value is rejected with a message naming setting, value and default, and the declared default is used', () => {
    assert.ok(declared.size >= 40, `${declared.size} settings`);
    let checked = 0;
    for (const [key, schema] of declared) {
      for (const bad of [wrongType(schema), ...outOfRange(schema)]) {
        const { values, problems } = validated({ [key]: bad });
        const mine = problems.filter((p) => p.setting === key);
        assert.equal(mine.length, 1, `${key} = ${show(bad)}: ${JSON.stringify(problems)}`);
        const m = mine[0].message;
        assert.ok(m.startsWith(`${key} is ${show(bad)}, but `), m);
        assert.ok(m.endsWith(`; using ${show(schema.default)} instead.`), m);
        assert.deepEqual(values[key], schema.default, `${key} falls back to its declared default`);
        checked++;
      }
    }
    assert.ok(checked >= 100, `${checked} invalid values checked`);
  });

  it('every declared default is valid by its own schema (so a value equal to it needs no check)', () => {
    for (const [key, schema] of declared) {
      assert.notEqual(schema.default, undefined, `${key} declares a default`);
      const copy = { ...schema, default: undefined };
      const configuration = { properties: { [key]: copy } };
      const r = validateSettings(configuration, { [key]: structuredClone(schema.default) });
      assert.deepEqual(r.problems, [], key);
    }
  });

  const table: [string, unknown, string][] = [
    ['backups.compressionLevel', 1000, 'codebaseGardener.backups.compressionLevel is 1000, but it must be at most 9; using 6 instead.'],
    ['backups.compressionLevel', 0, 'codebaseGardener.backups.compressionLevel is 0, but it must be at least 1; using 6 instead.'],
    ['backups.compressionLevel', 4.5, 'codebaseGardener.backups.compressionLevel is 4.5, but it must be a whole number; using 6 instead.'],
    ['monitoring.intervalSeconds', 1, 'codebaseGardener.monitoring.intervalSeconds is 1, but it must be at least 5; using 30 instead.'],
    ['monitoring.cpuWindowMinutes', -1, 'codebaseGardener.monitoring.cpuWindowMinutes is -1, but it must be at least 0; using 5 instead.'],
    ['thresholds.diskCritical', 120, 'codebaseGardener.thresholds.diskCritical is 120, but it must be at most 100; using 95 instead.'],
    ['thresholds.cpuWarning', 'high', 'codebaseGardener.thresholds.cpuWarning is "high", but it must be a number; using 75 instead.'],
    ['alerts.notifications', 'loud', 'codebaseGardener.alerts.notifications is "loud", but it must be one of "warning", "critical", "none"; using "warning" instead.'],
    ['logs.level', 'TRACE', 'codebaseGardener.logs.level is "TRACE", but it must be one of "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"; using "INFO" instead.'],
    ['backups.encrypt', 'yes', 'codebaseGardener.backups.encrypt is "yes", but it must be true or false; using true instead.'],
    ['backups.retention.full', null, 'codebaseGardener.backups.retention.full is null, but it must be a whole number; using 7 instead.'],
    ['probes', { name: 'x' }, 'codebaseGardener.probes is {"name":"x"}, but it must be a list; using [] instead.'],
  ];
  for (const [name, value, message] of table) {
    it(`${name} = ${show(value)}: one message, and the default`, () => {
      const { values, problems } = validated({ [P + name]: value });
      assert.deepEqual(problems.map((p) => p.message), [message]);
      assert.deepEqual(values[P + name], declared.get(P + name)?.default);
    });
  }

  it('a list keeps its valid entries and names each one left out', () => {
    const { values, problems } = validated({ [`${P}backups.exclude`]: ['**/tmp/**', '', 3] });
    assert.deepEqual(values[`${P}backups.exclude`], ['**/tmp/**']);
    assert.deepEqual(problems.map((p) => p.message), [
      'codebaseGardener.backups.exclude[1] is "", but it must not be empty; it is left out.',
      'codebaseGardener.backups.exclude[2] is 3, but it must be text; it is left out.',
    ]);
  });

  it('is generic: a setting added to the schema is validated with no code for it (as the maintenance settings will be)', () => {
    const schema = [
      ...(manifest.contributes.configuration as ConfigurationGroup[]),
      { title: 'Maintenance', properties: { [`${P}maintenance.validationShare`]: { type: 'number', default: 10, minimum: 0, maximum: 100 } } },
    ];
    const r = validateSettings(schema, { [`${P}maintenance.validationShare`]: 250 });
    assert.deepEqual(r.problems.map((p) => p.message), ['codebaseGardener.maintenance.validationShare is 250, but it must be at most 100; using 10 instead.']);
    assert.equal(r.values[`${P}maintenance.validationShare`], 10);
  });

  it('settings are grouped (Monitoring, Alerts, Logs, Backups, Maintenance, Dashboard), each with an order', () => {
    const groups = manifest.contributes.configuration as ConfigurationGroup[];
    assert.deepEqual(groups.map((g) => g.title), ['Monitoring', 'Alerts', 'Logs', 'Backups', 'Maintenance', 'Dashboard']);
    for (const g of groups) {
      const orders = Object.values(g.properties ?? {}).map((s) => s.order);
      assert.ok(orders.every((o) => typeof o === 'number'), `${g.title}: every setting has an order`);
      assert.equal(new Set(orders).size, orders.length, `${g.title}: orders differ`);
    }
  });

  it('the core\'s fallbacks (for engines built without settings) equal package.json\'s defaults', () => {
    const d = (name: string): unknown => declared.get(P + name)?.default;
    assert.deepEqual(DEFAULT_ALERT_SETTINGS, {
      pendingSamples: d('alerts.pendingSamples'),
      hysteresis: d('alerts.hysteresis'),
      clearSamples: d('alerts.clearSamples'),
      dampingMs: (d('alerts.dampingMinutes') as number) * 60_000,
      retentionMs: (d('alerts.retentionDays') as number) * 86_400_000,
    });
    assert.deepEqual(DEFAULT_LOG_SETTINGS, {
      maxBytes: (d('logs.maxFileSizeMB') as number) * 1048576,
      maxFiles: d('logs.maxFiles'),
      retentionMs: (d('logs.retentionDays') as number) * 86_400_000,
      minLevel: d('logs.level'),
    });
    assert.deepEqual(DEFAULT_BACKUP_SETTINGS.retention, {
      FULL: d('backups.retention.full'),
      INCREMENTAL: d('backups.retention.incremental'),
      CONFIGURATION: d('backups.retention.configuration'),
      USER_DATA: d('backups.retention.userData'),
    });
    assert.equal(DEFAULT_BACKUP_SETTINGS.compressionLevel, d('backups.compressionLevel'));
    assert.equal(DEFAULT_BACKUP_SETTINGS.snapshotRetentionDays, d('backups.snapshotRetentionDays'));
    const probe = declared.get(`${P}probes`)?.items as { properties: { timeoutMs: { default: number } } };
    assert.equal(DEFAULT_PROBE_TIMEOUT_MS, probe.properties.timeoutMs.default);
    assert.equal(DEFAULT_MAINTENANCE_SETTINGS.randomDelayMs, (d('maintenance.randomDelaySeconds') as number) * 1000);
    assert.equal(DEFAULT_MAINTENANCE_SETTINGS.validateShare, (d('maintenance.validatePercent') as number) / 100);
    for (const t of TASKS) assert.equal(t.defaultSchedule, d(`maintenance.schedule.${t.key}`), t.key);
    assert.deepEqual(readMaintenanceSettings(validated().values), DEFAULT_MAINTENANCE_SETTINGS);
  });
});

/** Every numeric bound package.json declares, nested ones (a probe's port) too. */
function bounds(): { key: string; leaf: string; values: number[] }[] {
  const out: { key: string; leaf: string; values: number[] }[] = [];
  const walk = (key: string, s: SettingSchema | undefined): void => {
    if (!s || typeof s !== 'object') return;
    const values = [s.minimum, s.maximum].filter((n): n is number => typeof n === 'number');
    if (values.length) out.push({ key, leaf: key.split('.').pop() as string, values });
    if (s.items) walk(`${key}[]`, s.items as SettingSchema);
    for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, SettingSchema>)) walk(`${key}.${k}`, v);
  };
  for (const [key, s] of declared) walk(key, s);
  return out;
}

const numberOf = (t: string): number => Number(t.replace(/_/g, ''));

/**
 * Where a line of code repeats a bound: it names the setting (quoted, or by its dotted tail)
 * beside the bound, compares the setting's leaf with it, or compares with both ends of a range.
 */
function repeatedBounds(source: string, all = bounds()): string[] {
  const found: string[] = [];
  source.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith('//') || line.startsWith('*') || line.startsWith('/*')) return;
    // A number multiplied or divided by is a unit conversion (percent to share), not a bound.
    const numbers = [...line.matchAll(/(?<![\w.]|[*/]\s*)\d[\d_]*(?:\.\d+)?(?![\w.])/g)].map((m) => numberOf(m[0]));
    const compared = new Set(
      [...line.matchAll(/[<>]=?\s*(\d[\d_]*)|(\d[\d_]*)\s*[<>]|Math\.(?:min|max)\(\s*(\d[\d_]*)/g)].map((m) => numberOf(m[1] ?? m[2] ?? m[3])),
    );
    for (const b of all) {
      const nonZero = b.values.filter((v) => v !== 0);
      const tail = b.key.slice(P.length).replace(/\[\]/g, '');
      const named = line.includes(`'${b.leaf}'`) || line.includes(`"${b.leaf}"`) || line.includes(tail);
      const leafCompared = new RegExp(`\\b${b.leaf}\\b`).test(line) && nonZero.some((v) => compared.has(v));
      const range = b.values.length === 2 && b.values.every((v) => compared.has(v));
      if ((named && nonZero.some((v) => numbers.includes(v))) || leafCompared || range) found.push(`line ${i + 1} repeats ${b.key}'s bound: ${line}`);
    }
  });
  return found;
}

describe('settings: no bound from package.json is written again in src/', () => {
  it('finds the repeats the hand-written validators had (so the check can fail)', () => {
    const old = [
      "    compressionLevel: Math.min(9, Math.max(1, keep('backups.compressionLevel', d.compressionLevel))),",
      "    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1000) {",
      "    pendingSamples: num('pendingSamples', d.pendingSamples, 1, 100, true),",
      "    if (timeoutMs !== undefined && !(timeoutMs > 0 && timeoutMs <= 600_000)) {",
      "  { key: 'cpu', warningSetting: 'cpuWarning', criticalSetting: 'cpuCritical', min: 1, max: 100, lowerIsWorse: false, unit: '%' },",
    ];
    for (const line of old) assert.equal(repeatedBounds(line).length > 0, true, line);
    assert.deepEqual(repeatedBounds("    const keepFrom = now - Math.max(cpuMs, memoryMs) - interval;"), []);
    assert.deepEqual(repeatedBounds("    validateShare: setting<number>(values, 'maintenance.validatePercent') / 100,"), [], 'a unit conversion is no bound');
    assert.equal(repeatedBounds("    validateShare: num('maintenance.validatePercent', 25, 0, 100) / 100,").length, 1, 'but the bound beside it is');
  });

  it('src/ holds none', () => {
    const root = path.resolve(__dirname, '..', '..', '..', 'src');
    const files = (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length > 50);
    const found = files.flatMap((f) => repeatedBounds(fs.readFileSync(path.join(root, f), 'utf8')).map((x) => `${f}: ${x}`));
    assert.deepEqual(found, []);
  });
});
