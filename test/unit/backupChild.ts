// Driven by the fault tests: makes a backup or a restore and is killed with SIGKILL midway.
// `restore-to <id> <target> [kill-at]` restores into another folder, saying when each phase
// begins; with kill-at (staging, swapping, swapped) the child kills itself at that moment.
import type { Progress } from '../../src/core/backup';
import { manager } from './backupFixtures';

const [op, dataDir, backupsDir, id, target, killAt] = process.argv.slice(2);
const die = (): void => void process.kill(process.pid, 'SIGKILL');

const phases = new Set<string>();
/** Says when each phase of a restore begins; kills this process at the first report of the phase `killAt` names. */
function onProgress(p: Progress): void {
  if (!phases.has(p.phase)) process.stdout.write(`${p.phase}\n`);
  phases.add(p.phase);
  if (killAt === 'staging' && p.phase === 'staging') die();
  if (killAt === 'swapping' && p.phase === 'swapping') die();
  // Once the swap's renames have run and it waits on its first write: bookkeeping not done.
  if (killAt === 'swapped' && p.phase === 'swapping') setImmediate(die);
}

void (async () => {
  // With GARDENER_SCRATCH set, restores stage and keep snapshots there, as the extension does.
  const scratchDir = process.env.GARDENER_SCRATCH;
  const m = manager(dataDir, backupsDir, undefined, scratchDir ? { scratchDir } : {});
  await m.init();
  process.stdout.write('ready\n');
  if (op === 'backup') await m.createBackup((id as 'FULL') ?? 'FULL');
  else if (op === 'undo') await m.undoRestore(id);
  else if (op === 'restore-to') await m.restore(id, { target, onProgress });
  else await m.restore(id);
  process.stdout.write('done\n');
})();
