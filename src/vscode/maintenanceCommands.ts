import * as vscode from 'vscode';
import { isGardenerError } from '../core/errors';
import { dismissed, failed } from '../core/logs';
import { isTaskKey, TASKS, taskDefinition, type TaskKey, type TaskRun } from '../core/maintenance';
import type { Cmd } from './commands';
import { updateSetting } from './config';
import type { Ctx } from './context';
import { duration, inTime, type MaintenanceNode } from './maintenanceTree';
import { withCancellableProgress } from './progress';

/** A task key from a command's argument: a key, or a Scheduled item of the view. */
function keyOf(arg: unknown): TaskKey | undefined {
  if (isTaskKey(arg)) return arg;
  const n = arg as MaintenanceNode | undefined;
  if (n?.kind === 'schedule') return n.item.key;
  if (n?.kind === 'run') return n.run.key;
  return undefined;
}

function runIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string' && !isTaskKey(arg)) return arg;
  const n = arg as MaintenanceNode | undefined;
  return n?.kind === 'run' ? n.run.id : undefined;
}

async function pickTask(placeHolder: string): Promise<TaskKey | undefined> {
  const pick = await vscode.window.showQuickPick(
    TASKS.map((t) => ({ label: t.title, description: t.key, key: t.key, detail: DETAIL[t.type] })),
    { placeHolder },
  );
  return pick?.key;
}

const DETAIL: Record<string, string> = {
  HEALTH_CHECK: 'Samples the system and every probe now; alerts as usual.',
  DATA_CLEANUP: 'Removes resolved alerts, rotated logs and snapshots past retention, and leftovers of interrupted writes — only in our own folders.',
  LOG_ROTATION: 'Rotates every log over its size or older than a day, then applies log retention.',
  BACKUP_MAINTENANCE: 'Applies retention, ends long incremental chains, validates the newest backups and a share of older ones.',
  BACKUP: 'Makes a backup of this type now.',
};

/** Run Maintenance Task… (the guide's `maintain --task`): runs now, with progress and Cancel. */
export function runMaintenanceTask(ctx: Ctx): Cmd {
  return async (arg?: unknown) => {
    const key = keyOf(arg) ?? (await pickTask('Which maintenance task to run now?'));
    if (!key) return dismissed('No task was chosen.');
    const def = taskDefinition(key);
    const m = ctx.maintenance;
    const run = await withCancellableProgress(`Codebase Gardener: ${def.title.toLowerCase()}`, async (signal, progress) => {
      const started = m.execute(key, { signal });
      const sub = m.onDidChange(() => {
        const mine = m.runs().filter((r) => r.key === key && r.status === 'RUNNING').at(-1);
        const p = mine && m.progressOf(mine.id);
        if (p?.message) progress.report({ message: p.total ? `${p.message} (${p.done} of ${p.total})` : p.message });
      });
      try {
        return await started;
      } finally {
        sub.dispose();
      }
    });
    if (run.status === 'FAILED') {
      void vscode.window.showErrorMessage(`Codebase Gardener: ${def.title} failed: ${run.error ?? 'see its output'}`, 'Show Output').then((c) => c && showOutput(ctx, run.id));
      return failed(`${def.title} failed: ${run.error ?? ''}`);
    }
    vscode.window.setStatusBarMessage(`$(check) ${def.title}: ${run.summary ?? run.status.toLowerCase()}`, 6000);
    return run;
  };
}

const WHEN = [
  { label: 'In 5 minutes', ms: 5 * 60_000 },
  { label: 'In 1 hour', ms: 3_600_000 },
  { label: 'Tonight at 22:00', at: () => atHour(22) },
  { label: 'Tomorrow at 08:00', at: () => atHour(8, 1) },
  { label: 'At a time you type…', custom: true },
];

function atHour(h: number, days = 0): number {
  const d = new Date();
  d.setDate(d.getDate() + days);
  d.setHours(h, 0, 0, 0);
  if (d.getTime() <= Date.now()) d.setDate(d.getDate() + 1);
  return d.getTime();
}

/** Schedule Maintenance… (the guide's schedule_maintenance): one run of a task at a chosen time. */
export function scheduleMaintenance(ctx: Ctx): Cmd {
  return async (arg?: unknown, whenArg?: unknown, descriptionArg?: unknown) => {
    const key = keyOf(arg) ?? (await pickTask('Which maintenance task to schedule?'));
    if (!key) return dismissed('No task was chosen.');
    let when = typeof whenArg === 'number' ? whenArg : typeof whenArg === 'string' ? Date.parse(whenArg) : undefined;
    if (when === undefined) {
      const pick = await vscode.window.showQuickPick(WHEN, { placeHolder: `When should ${taskDefinition(key).title.toLowerCase()} run?` });
      if (!pick) return dismissed('No time was chosen.');
      if (pick.custom) {
        const typed = await vscode.window.showInputBox({
          prompt: 'When to run it: a date and time (2026-12-24 18:00) or minutes from now (90)',
          validateInput: (v) => (parseWhen(v) === undefined ? 'Type a date and time in the future, or a number of minutes.' : undefined),
        });
        if (!typed) return dismissed('No time was typed.');
        when = parseWhen(typed);
      } else when = pick.ms !== undefined ? Date.now() + pick.ms : pick.at?.();
    }
    if (when === undefined || !Number.isFinite(when) || when <= Date.now() - 60_000) return failed('That time is not in the future.', 'INVALID');
    const description = typeof descriptionArg === 'string' ? descriptionArg : undefined;
    const id = await ctx.maintenance.schedule(key, when, description);
    vscode.window.setStatusBarMessage(`$(clock) ${taskDefinition(key).title} scheduled ${inTime(when)}`, 6000);
    return id;
  };
}

function parseWhen(v: string): number | undefined {
  const t = v.trim();
  if (/^\d{1,5}$/.test(t)) return Date.now() + Number(t) * 60_000;
  const ms = Date.parse(t.replace(' ', 'T'));
  return Number.isFinite(ms) && ms > Date.now() ? ms : undefined;
}

/** Cancel Maintenance Task…: a scheduled run, or one running in this window. */
export function cancelMaintenanceTask(ctx: Ctx): Cmd {
  return async (arg?: unknown) => {
    const m = ctx.maintenance;
    let id = runIdOf(arg);
    if (!id) {
      const open = m.runs().filter((r) => r.status === 'SCHEDULED' || r.status === 'RUNNING');
      if (!open.length) {
        void vscode.window.showInformationMessage('Codebase Gardener: no maintenance task is scheduled to run once or running now. Recurring tasks are turned off in their settings.');
        return dismissed('Nothing to cancel.');
      }
      const pick = await vscode.window.showQuickPick(
        open.map((r) => ({ label: r.description, description: r.status === 'RUNNING' ? `running ${duration(r)}` : inTime(r.dueAt), id: r.id })),
        { placeHolder: 'Which run to cancel?' },
      );
      id = pick?.id;
    }
    if (!id) return dismissed('No run was chosen.');
    try {
      return await m.cancel(id);
    } catch (err) {
      if (isGardenerError(err, ['LOCKED', 'NOT_FOUND'])) {
        void vscode.window.showWarningMessage(`Codebase Gardener: ${err.message}`);
        return failed(err.message, err.code);
      }
      throw err;
    }
  };
}

/** Show Maintenance Status: the guide's get_maintenance_status(), as a document. */
export function showMaintenanceStatus(ctx: Ctx): Cmd {
  return async () => {
    const s = ctx.maintenance.status();
    const lines = [
      '# Maintenance status',
      '',
      `${s.total_tasks} runs recorded · ${s.running_tasks} running · ${s.scheduled_tasks} scheduled · this window ${s.leader ? '**runs the schedules**' : 'does not run the schedules (another window does)'}`,
      '',
      '| Status | Runs |',
      '|---|---|',
      ...Object.entries(s.by_status).map(([k, v]) => `| ${k} | ${v} |`),
      '',
      '## Next',
      '',
      ...(s.next.length ? s.next.map((n) => `- ${new Date(n.at).toLocaleString()} — ${n.title}`) : ['Nothing is scheduled.']),
      '',
      '## Most recent',
      '',
      ...(s.recent.length ? s.recent.map((r) => `- ${r.status} · ${new Date(r.endedAt ?? r.dueAt).toLocaleString()} · ${r.description}${r.summary ? ` — ${r.summary}` : ''}`) : ['No run yet.']),
      '',
      '## Runbooks',
      '',
      ...(s.runbooks.length ? s.runbooks.map((r) => `- ${r}`) : ['None found.']),
      ...(ctx.maintenance.problems.length ? ['', '## Settings', '', ...ctx.maintenance.problems.map((p) => `- ${p}`)] : []),
      '',
    ];
    await ctx.reports.showMarkdown('Codebase Gardener Maintenance', lines.join('\n'));
    return s;
  };
}

function showOutput(ctx: Ctx, id: string): Promise<unknown> {
  const r = ctx.maintenance.runs().find((x) => x.id === id);
  if (!r) return Promise.resolve(failed(`There is no maintenance run ${id}.`, 'NOT_FOUND'));
  return ctx.reports.showMarkdown(`Maintenance run ${r.id}`, runMarkdown(r));
}

export function runMarkdown(r: TaskRun): string {
  return [
    `# ${r.description}`,
    '',
    `- Status: **${r.status}** (${r.trigger})`,
    `- Due: ${new Date(r.dueAt).toLocaleString()}`,
    ...(r.startedAt ? [`- Started: ${new Date(r.startedAt).toLocaleString()}`] : []),
    ...(r.endedAt ? [`- Ended: ${new Date(r.endedAt).toLocaleString()} (${duration(r)})`] : []),
    ...(r.summary ? [`- Outcome: ${r.summary}`] : []),
    ...(r.error ? [`- Error: ${r.error}`] : []),
    '',
    '## Output',
    '',
    ...(r.output.length ? ['```', ...r.output, '```'] : ['(none)']),
    '',
  ].join('\n');
}

export function maintenanceCommands(ctx: Ctx): Record<string, Cmd> {
  return {
    'codebaseGardener.runMaintenanceTask': runMaintenanceTask(ctx),
    'codebaseGardener.scheduleMaintenance': scheduleMaintenance(ctx),
    'codebaseGardener.cancelMaintenanceTask': cancelMaintenanceTask(ctx),
    'codebaseGardener.showMaintenanceStatus': showMaintenanceStatus(ctx),
    'codebaseGardener.showMaintenanceOutput': async (arg?: unknown) => {
      const id = runIdOf(arg);
      return id ? showOutput(ctx, id) : dismissed('No run was given.');
    },
    'codebaseGardener.editMaintenanceSchedule': async (arg?: unknown) => {
      const key = keyOf(arg) ?? (await pickTask('Which task’s schedule to edit?'));
      if (!key) return dismissed('No task was chosen.');
      await vscode.commands.executeCommand('workbench.action.openSettings', `codebaseGardener.maintenance.schedule.${key}`);
      return key;
    },
    'codebaseGardener.disableMaintenanceTask': async (arg?: unknown) => {
      const key = keyOf(arg) ?? (await pickTask('Which recurring task to turn off?'));
      if (!key) return dismissed('No task was chosen.');
      await updateSetting(`maintenance.schedule.${key}`, '');
      vscode.window.setStatusBarMessage(`$(circle-slash) ${taskDefinition(key).title} no longer runs on a schedule`, 6000);
      return key;
    },
  };
}
