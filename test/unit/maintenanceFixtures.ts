import { MaintenanceManager, Scheduler, SimulatedTimers, DEFAULT_MAINTENANCE_SETTINGS, type MaintenanceSettings, type PerformTask, type TaskKey } from '../../src/core/maintenance';

/** Monday 5 January 2026, 00:00:30 local time. */
export const MONDAY = new Date(2026, 0, 5, 0, 0, 30).getTime();
export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export interface Fired {
  key: TaskKey;
  at: number;
  trigger: string;
}

/** The managers whose reads and writes a simulated clock waits for between two timers. */
const live = new Set<MaintenanceManager>();

/**
 * A maintenance manager on simulated time with no random delay, whose tasks only record when
 * they ran (and, for the keys in `slow`, take that long on the simulated clock).
 */
export function simulated(
  dataDir: string,
  o: { timers?: SimulatedTimers; settings?: Partial<MaintenanceSettings>; slow?: Partial<Record<TaskKey, number>>; perform?: PerformTask; critical?: () => boolean } = {},
): { m: MaintenanceManager; timers: SimulatedTimers; fired: Fired[] } {
  const timers = o.timers ?? new SimulatedTimers(MONDAY, async () => void (await Promise.all([...live].map((x) => x.ioIdle()))));
  const scheduler = new Scheduler(timers);
  const fired: Fired[] = [];
  const perform: PerformTask =
    o.perform ??
    (async (task, ctx) => {
      fired.push({ key: task.key, at: timers.now(), trigger: ctx.run.trigger });
      const ms = o.slow?.[task.key];
      if (ms) {
        await new Promise<void>((resolve, reject) => {
          const job = scheduler.at('slow', timers.now() + ms, resolve);
          ctx.signal.addEventListener('abort', () => (job.dispose(), reject(new Error('cancelled'))));
        });
      }
      return { summary: 'done', output: [`ran ${task.key}`] };
    });
  const m = new MaintenanceManager({
    scheduler,
    dataDir,
    settings: { ...DEFAULT_MAINTENANCE_SETTINGS, randomDelayMs: 0, ...o.settings },
    perform,
    random: () => 0.5,
    underCriticalLoad: o.critical,
  });
  live.add(m);
  const dispose = m.dispose.bind(m);
  m.dispose = async () => {
    await dispose();
    live.delete(m);
  };
  return { m, timers, fired };
}
