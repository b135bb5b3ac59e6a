import { createTask, parse, validateDetailed, type ParsedFields, type ScheduledTask } from 'node-cron';
import { GardenerError } from '../errors';

/** A parsed cron expression (node-cron's syntax: 5 fields, or 6 with seconds first), in local time. */
export interface CronSchedule {
  readonly expression: string;
  readonly fields: ParsedFields;
  /** node-cron's own matcher, the judge of every candidate time (a stopped task: no timer). */
  readonly matcher: ScheduledTask;
}

/** Parses `expression`, or throws INVALID with node-cron's reason for each bad field. */
export function parseCron(expression: string): CronSchedule {
  const v = validateDetailed(expression);
  if (!v.valid) {
    const why = v.errors.map((e) => e.message).join('; ') || 'not a cron expression';
    throw new GardenerError(`"${expression}" is not a valid cron expression (${why}).`, 'INVALID');
  }
  const f = parse(expression);
  // Candidates are tried earliest first, so the first that matches is the next run.
  const fields = { ...f, second: ascending(f.second), minute: ascending(f.minute), hour: ascending(f.hour) };
  return { expression, fields, matcher: createTask(expression, () => undefined) };
}

// Far enough for any expression that can match at all ("29 February" included).
const HORIZON_DAYS = 366 * 8;
const ascending = (xs: readonly (number | string)[]): number[] => xs.filter((x): x is number => typeof x === 'number').sort((a, b) => a - b);

/**
 * The first time strictly after `after` that the schedule matches, or undefined if none within
 * eight years. node-cron itself only computes runs from the real "now"; the scheduler needs
 * them from any instant (a simulated clock, a restart after days off), so candidates are built
 * from the parsed fields day by day and each is confirmed by node-cron's matcher.
 */
export function nextRun(s: CronSchedule, after: number): number | undefined {
  const start = new Date(after);
  const day = new Date(start.getFullYear(), start.getMonth(), start.getDate());
  const months = new Set(s.fields.month);
  for (let i = 0; i < HORIZON_DAYS; i++) {
    const d = new Date(day.getFullYear(), day.getMonth(), day.getDate() + i);
    if (!months.has(d.getMonth() + 1)) continue;
    for (const h of s.fields.hour) {
      for (const m of s.fields.minute) {
        for (const sec of s.fields.second) {
          const t = new Date(d.getFullYear(), d.getMonth(), d.getDate(), h, m, sec);
          const ms = t.getTime();
          // A daylight-saving jump can move the candidate to another hour: the matcher decides.
          if (ms > after && s.matcher.match(t)) return ms;
        }
      }
    }
  }
  return undefined;
}
