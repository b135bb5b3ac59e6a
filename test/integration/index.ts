// Mocha entry that VS Code calls inside the extension host (extensionTestsPath). The same
// file serves @vscode/test-electron and the code-server runner. Results go to a JSON file,
// since under code-server the extension host's console reaches no terminal.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

interface TestRecord {
  title: string;
  state: 'passed' | 'failed';
  durationMs?: number;
  error?: string;
}

export function resultsDir(): string {
  return process.env.CG_TEST_RESULTS ?? path.resolve(__dirname, '..', '..', '..', 'test-results');
}

export function run(): Promise<void> {
  return runSuite(__dirname, 'integration.json');
}

/** Runs the tests of `folder` (its *.test.js), writing their results to `file` in the results folder. */
export async function runSuite(folder: string, file: string): Promise<void> {
  const dir = resultsDir();
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, file);
  // CG_TEST_GREP runs only the tests whose titles match it (while working on them).
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec', ...(process.env.CG_TEST_GREP ? { grep: process.env.CG_TEST_GREP } : {}) });
  for (const f of fs.readdirSync(folder).filter((n) => n.endsWith('.test.js')).sort()) mocha.addFile(path.join(folder, f));
  const tests: TestRecord[] = [];
  const notes: string[] = [];
  (globalThis as { __gardenerNotes?: string[] }).__gardenerNotes = notes;
  const write = (): void => {
    const passed = tests.filter((t) => t.state === 'passed').length;
    fs.writeFileSync(out, JSON.stringify({ passed, failed: tests.length - passed, tests, notes }, null, 2));
  };
  write();
  await new Promise<void>((resolve, reject) => {
    const runner = mocha.run((failures) => {
      write();
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
    runner.on('fail', (t, err: Error) => tests.push({ title: t.fullTitle(), state: 'failed', error: err.stack ?? String(err) }));
  });
}
