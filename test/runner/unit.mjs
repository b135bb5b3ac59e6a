// Runs the unit suite (out/test/unit) with mocha and records the counts for run-all, in
// unit.json or, for a second run of part of the suite, the file UNIT_RESULTS names.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { resultsDir, root } from './paths.mjs';

const require = createRequire(import.meta.url);
const Mocha = require('mocha');
const dir = join(root, 'out', 'test', 'unit');
const grep = process.argv[2];
const results = process.env.UNIT_RESULTS || 'unit.json';
const mocha = new Mocha({ ui: 'bdd', timeout: 30_000, reporter: 'spec', grep });
for (const f of readdirSync(dir).filter((n) => n.endsWith('.test.js')).sort()) mocha.addFile(join(dir, f));
const tests = [];
mocha.run((failures) => {
  mkdirSync(resultsDir, { recursive: true });
  const passed = tests.filter((t) => t.state === 'passed').length;
  writeFileSync(join(resultsDir, results), JSON.stringify({ passed, failed: tests.length - passed, tests }, null, 2));
  console.log(`unit: ${passed} passed, ${tests.length - passed} failed`);
  process.exitCode = failures ? 1 : 0;
})
  .on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed' }))
  .on('fail', (t, err) => tests.push({ title: t.fullTitle(), state: 'failed', error: String(err) }));
