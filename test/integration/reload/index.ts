// Mocha entry for the tests that run after the runner reloads the window (code-server only):
// a new extension host on the same workspace and user data as the first run.
import { runSuite } from '../index';

export function run(): Promise<void> {
  return runSuite(__dirname, 'integration-reload.json');
}
