// Driven by the move fault tests: moves a 0.1 data folder (resuming a journal first, as the
// extension does at start) and is killed with SIGKILL midway.
import { planLegacyMove, resumeMove, moveState } from '../../src/core/state';

const [legacy, dataDir, backupsDir, otherBackupsDir, journal, mode] = process.argv.slice(2);
void (async () => {
  const o = { copy: mode === 'copy' };
  process.stdout.write('ready\n');
  if (!(await resumeMove(journal, o))) await moveState(planLegacyMove(legacy, { dataDir, backupsDir, otherBackupsDir }), journal, o);
  process.stdout.write('done\n');
})();
