// `npm test`: type check, lint, build, package, unit tests, integration tests inside VS Code.
// Every step runs even after a failure, so one run shows everything that is wrong; the last
// line sums the test counts of every suite (a failed check step counts as one failure).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { node24 } from './code-server.mjs';
import { resultsDir, root } from './paths.mjs';

const bin = (name) => join(root, 'node_modules', '.bin', name);
const steps = [
  { name: 'type check', cmd: bin('tsc'), args: ['-p', '.', '--noEmit'] },
  { name: 'type check (webview)', cmd: bin('tsc'), args: ['-p', 'webview', '--noEmit'] },
  { name: 'lint', cmd: bin('eslint'), args: ['.'] },
  { name: 'build', cmd: process.execPath, args: ['esbuild.mjs', '--tests'] },
  { name: 'package', cmd: bin('vsce'), args: ['package', '--no-dependencies', '--out', 'dist/codebase-gardener.vsix'] },
  // Before the unit tests: on Node 20 they write their zstd archives with it (and code-server runs on it).
  { name: 'Node 24', cmd: process.execPath, args: ['test/runner/node24.mjs'] },
  { name: 'unit tests', cmd: process.execPath, args: ['test/runner/unit.mjs'], results: 'unit.json' },
  // Reading archives has a fallback for a Node.js whose zlib internals changed: it must pass the backup suite too.
  {
    name: 'unit tests (backup, public inflate path)',
    cmd: process.execPath,
    args: ['test/runner/unit.mjs', 'backup'],
    env: { CODEBASE_GARDENER_INFLATE: 'public', UNIT_RESULTS: 'unit-public-inflate.json' },
    results: 'unit-public-inflate.json',
  },
  // Node 20 writes gzip and reads zstd through fzstd; Node 22.15+ (VS Code's extension host today) writes zstd and reads it through its own zstd, on both inflate paths.
  {
    name: 'unit tests (backup, Node 24: zstd)',
    cmd: node24(),
    args: ['test/runner/unit.mjs', 'backup|adversary|trust'],
    env: { UNIT_RESULTS: 'unit-node24-backup.json' },
    results: 'unit-node24-backup.json',
    needs: ['Node 24'],
  },
  { name: 'integration tests', cmd: process.execPath, args: ['test/runner/integration.mjs'], results: 'integration.json', needs: ['build', 'package'] },
];

let passed = 0;
let failed = 0;
const failedSteps = new Set();
for (const s of steps) {
  if (s.results) rmSync(join(resultsDir, s.results), { force: true });
  if (s.needs?.some((n) => failedSteps.has(n))) {
    console.log(`\n── ${s.name}: skipped, because ${s.needs.filter((n) => failedSteps.has(n)).join(' and ')} failed`);
    failed++;
    failedSteps.add(s.name);
    continue;
  }
  console.log(`\n── ${s.name}`);
  const started = Date.now();
  const r = spawnSync(s.cmd, s.args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...s.env } });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const ok = r.status === 0;
  if (s.results) {
    const file = join(resultsDir, s.results);
    const counts = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { passed: 0, failed: 1 };
    passed += counts.passed;
    failed += counts.failed + (ok || counts.failed > 0 ? 0 : 1);
  } else if (!ok) {
    failed++;
  }
  if (!ok) failedSteps.add(s.name);
  console.log(`── ${s.name}: ${ok ? 'ok' : 'FAILED'} (${seconds} s)`);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 && failedSteps.size === 0 ? 0 : 1;
