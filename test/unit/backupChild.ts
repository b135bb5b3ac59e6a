// Driven by the fault tests: makes a backup or a restore and is killed with SIGKILL midway.
import { manager } from './backupFixtures';

const [op, dataDir, backupsDir, id] = process.argv.slice(2);
void (async () => {
  const m = manager(dataDir, backupsDir);
  await m.init();
  process.stdout.write('ready\n');
  if (op === 'backup') await m.createBackup((id as 'FULL') ?? 'FULL');
  else if (op === 'undo') await m.undoRestore(id);
  else await m.restore(id);
  process.stdout.write('done\n');
})();
