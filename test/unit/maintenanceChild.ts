// Driven by the leader test: runs a maintenance manager on a state folder, says when it leads,
// and keeps leading until it is killed.
import { DEFAULT_MAINTENANCE_SETTINGS, MaintenanceManager, Scheduler, systemTimers } from '../../src/core/maintenance';

const m = new MaintenanceManager({
  scheduler: new Scheduler(systemTimers),
  dataDir: process.argv[2],
  settings: DEFAULT_MAINTENANCE_SETTINGS,
  perform: async () => ({ summary: 'done' }),
  leadership: { staleMs: 8000 },
});
m.onDidChange(() => {
  if (m.isLeader) process.stdout.write('leader\n');
});
void m.start();
// Timers are unref'd (they never keep VS Code's host alive); this child must stay until killed.
setInterval(() => undefined, 1000);
