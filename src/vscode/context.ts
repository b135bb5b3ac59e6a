import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { AlertService, type AlertEvent } from '../core/alerts';
import { systemClock } from '../core/clock';
import { MaintenanceManager, performTasks, Scheduler, systemTimers, taskDefinition } from '../core/maintenance';
import { BackupRules } from '../core/rules/backups';
import { maintenanceRunEnded } from '../core/rules/maintenance';
import { MetricHistory, type MetricPoint } from '../core/metrics';
import { HealthMonitor, type HealthReport } from '../core/health';
import { LogManager, type LogEntry } from '../core/logs';
import { archiveWriter, BackupManager } from '../core/backup';
import { userExtensions } from '../core/configuration';
import { isGardenerError } from '../core/errors';
import type { BackupKeyStore } from '../core/state';
import { secretKeys } from './backupKeys';
import { BackupsTree } from './backupsTree';
import { dashboardHandlers, livePoint, sectionEvents } from './dashboardData';
import { BackupWatcher } from './backupWatcher';
import { notify } from './alertCommands';
import { AlertsTree } from './alertsTree';
import { dataDirOf01, declaredConfiguration, readConfig, SECTION, type GardenerConfig, type Places } from './config';
import { Dashboard } from './dashboard';
import { resumeBackupsMove } from './backupsMove';
import { Disposable } from './dispose';
import { ReportDocuments } from './reportDocument';
import { HealthStatusBar } from './statusBar';
import { offerFirstBackup } from './firstRun';
import { offerStateMove, resumeStateMove } from './stateMove';
import { Runbooks } from './runbooks';
import { RunbookViewer } from './runbookView';
import { workspaceIdentity } from './workspaceIdentity';
import { MaintenanceTree } from './maintenanceTree';
import { prepareConfigurationBackup } from './configurationSources';


/**
 * Everything the commands need, built once in activate(). Commands are factories taking
 * this context, so each one reads as a plain function of the extension's state.
 */
export class Ctx extends Disposable {
  /** Where our state lives for this workspace; changes with its folders. */
  places: Places;
  config: GardenerConfig;
  readonly monitor: HealthMonitor;
  readonly alerts: AlertService;
  readonly alertsTree: AlertsTree;
  backups: BackupManager;
  private readonly backupWatcher: BackupWatcher;
  readonly backupKeys: BackupKeyStore;
  readonly backupsTree: BackupsTree;
  readonly statusBar: HealthStatusBar;
  readonly reports: ReportDocuments;
  readonly dashboard: Dashboard;
  /** The output channel that mirrors the main and error logs. */
  readonly output: vscode.LogOutputChannel;
  readonly logs: LogManager;
  /** Every periodic job of the extension: sampling, acknowledgement expiry, backup freshness, maintenance. */
  readonly scheduler = new Scheduler(systemTimers);
  /** The rules that join backups and alerts (a failed backup raises one…), shared by commands and schedules. */
  readonly rules: BackupRules;
  maintenance: MaintenanceManager;
  readonly maintenanceTree: MaintenanceTree;
  /** The last sample appended to the metric history, for the dashboard's live charts. */
  private lastPoint: MetricPoint | undefined;
  /** Every sample, kept coarser as it ages, in our state folder: the charts survive reloads. */
  metrics: MetricHistory;
  private shownProblems = '';
  readonly runbooks: Runbooks;
  readonly runbookViewer: RunbookViewer;
  /** The notifications offered at start ('move01', 'firstBackup'), for the API and tests. */
  readonly offered: string[] = [];
  private readonly updated = this.register(new vscode.EventEmitter<HealthReport>());
  readonly onDidUpdate = this.updated.event;
  private readonly backupsChanged = this.register(new vscode.EventEmitter<void>());
  /** After a backup, restore, deletion or catalog change. */
  readonly onDidChangeBackups = this.backupsChanged.event;
  private readonly maintenanceChanged = this.register(new vscode.EventEmitter<void>());
  /** After a maintenance run starts, progresses or ends, or a schedule changes. */
  readonly onDidChangeMaintenance = this.maintenanceChanged.event;

  constructor(readonly extension: vscode.ExtensionContext) {
    super();
    this.output = this.register(vscode.window.createOutputChannel('Codebase Gardener', { log: true }));
    // The identity decides the folders, and the logs live in one of them: what it says waits for the log.
    const early: [string, string][] = [];
    this.places = this.locate({ info: (m) => early.push(['info', m]), warn: (m) => early.push(['warn', m]) });
    this.config = readConfig(this.places, declaredConfiguration(this.extension));
    this.logs = LogManager.in(this.config.dataDir, systemClock, this.config.logs);
    this.metrics = new MetricHistory(this.config.dataDir);
    for (const [level, m] of early) {
      if (level === 'warn') this.logs.warn('state', m);
      else this.logs.info('state', m);
    }
    this.register({ dispose: () => this.logs.dispose() });
    const mirror = this.logs.onEntry((e) => mirrorEntry(this.output, e));
    this.register({ dispose: () => mirror.dispose() });
    this.monitor = new HealthMonitor({
      clock: systemClock,
      dataDir: this.config.dataDir,
      settings: this.config.health,
      record: (op, fn) => this.logs.record(op, fn),
      scheduler: this.scheduler,
    });
    this.register({ dispose: () => this.monitor.dispose() });
    this.register({ dispose: () => this.scheduler.dispose() });
    this.alerts = new AlertService({
      clock: systemClock,
      dataDir: this.config.dataDir,
      settings: this.config.alerts.engine,
      onError: (err) => this.logs.error('alerts', 'Could not save alerts', err instanceof Error ? err : { error: String(err) }),
    });
    this.register({ dispose: () => void this.alerts.flush() });
    this.rules = new BackupRules(this.alerts);
    this.runbooks = new Runbooks(extension, { warn: (m) => this.logs.warn('runbooks', m) });
    this.runbookViewer = this.register(new RunbookViewer(extension.extensionUri, this.runbooks));
    this.alertsTree = this.register(new AlertsTree(this.alerts, (name) => this.hasRunbook(name)));
    const alertSub = this.alerts.onDidChange((events) => this.onAlerts(events));
    this.register({ dispose: () => alertSub.dispose() });
    this.backupKeys = secretKeys(extension.secrets, () => ({ identity: this.places.identity, legacyDataDirs: [dataDirOf01(this.places)] }));
    this.backupWatcher = this.register(new BackupWatcher());
    this.backups = this.makeBackupManager();
    // The worker that writes archives outlives each backup (see ArchiveWriter), not the extension.
    this.register({ dispose: () => void archiveWriter.stop() });
    this.backupsTree = this.register(
      new BackupsTree({
        manager: () => this.backups,
        extensionCount: () => userExtensions(vscode.extensions.all, vscode.env.appRoot).length,
        nextBackup: (type) => this.maintenance?.scheduled().find((s) => taskDefinition(s.key).backupType === type)?.next,
        warnSameDisk: () => this.config.backups.warnSameDisk,
      }),
    );
    this.register(vscode.extensions.onDidChange(() => this.backupsTree.refresh()));
    this.maintenance = this.makeMaintenance();
    this.register({ dispose: () => void this.maintenance.dispose() });
    this.maintenanceTree = this.register(new MaintenanceTree(() => this.maintenance));
    this.statusBar = this.register(new HealthStatusBar());
    this.reports = this.register(new ReportDocuments());
    this.dashboard = this.register(
      new Dashboard(extension.extensionUri, {
        handlers: dashboardHandlers(this),
        onDidUpdateHealth: (l) =>
          this.onDidUpdate((r) => {
            const p = this.lastPoint;
            l(r, p && p.t === r.systemMetrics?.timestamp ? livePoint(p) : null);
          }),
        onDidChangeSection: (l) => sectionEvents(this, l),
        log: { warn: (m) => this.logs.warn('dashboard', m) },
      }),
    );
    const sub = this.monitor.onDidUpdate((r) => this.onReport(r));
    this.register({ dispose: () => sub.dispose() });
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(SECTION)) this.applyConfig();
      }),
    );
    this.register(
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.places = this.locate({ info: (m) => this.logs.info('state', m), warn: (m) => this.logs.warn('state', m) });
        this.applyConfig();
      }),
    );
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.applyConfig()));
  }

  get alertConfig(): GardenerConfig['alerts'] {
    return this.config.alerts;
  }

  hasRunbook(name: string): boolean {
    return this.runbooks.has(name);
  }

  private locate(log: { info(m: string): void; warn(m: string): void }): Places {
    const globalStorage = this.extension.globalStorageUri.fsPath;
    return { globalStorage, workspaceStorage: this.extension.storageUri?.fsPath, identity: workspaceIdentity(globalStorage, log) };
  }

  /** Called once activation has finished, so neither loading alerts nor sampling delays it. */
  start(): void {
    this.updateStatusBar(this.monitor.report());
    this.reportProblems();
    // A move of 0.1's data cut short is finished before the alerts and backups in it are read.
    const resumed = resumeStateMove(this).then(() => resumeBackupsMove(this));
    resumed
      .then(async () => {
        const loaded = await this.initBackups();
        // 0.1's data, if any, is asked about first: its backups may be about to arrive.
        if (!(await offerStateMove(this))) await offerFirstBackup(this, loaded);
      })
      .catch((err) => this.logs.error('state', 'Could not make the offers at start', err instanceof Error ? err : { error: String(err) }));
    this.scheduler.repeat('backup-freshness', () => 3_600_000, () => this.checkBackupFreshness());
    void this.startMaintenance();
    resumed
      .then(() => this.alerts.init())
      .then(
        () => this.setMonitoring(this.config.monitoringEnabled),
        (err) => {
          this.logs.error('alerts', `Could not load alerts from ${this.alerts.file}`, err instanceof Error ? err : { error: String(err) });
          this.setMonitoring(this.config.monitoringEnabled);
        },
      );
    // Acknowledgements can expire between samples, or while monitoring is off.
    this.scheduler.repeat('acknowledgement-expiry', () => 60_000, () => void this.alerts.tick());
  }

  /** The maintenance of this state folder: its tasks act on this window's services. */
  private makeMaintenance(): MaintenanceManager {
    const m = new MaintenanceManager({
      scheduler: this.scheduler,
      dataDir: this.config.dataDir,
      settings: this.config.maintenance,
      underCriticalLoad: () => {
        const r = this.monitor.report().resourceStatus;
        return r.cpu === 'CRITICAL' || r.memory === 'CRITICAL';
      },
      warn: (msg) => this.logs.warn('maintenance', msg),
      onError: (msg, err) => this.logs.error('maintenance', msg, err instanceof Error ? err : { error: String(err) }),
      onRunEnded: (run) => maintenanceRunEnded(this.alerts, run),
      perform: performTasks({
        healthCheck: () => this.monitor.comprehensiveHealthCheck(),
        logs: this.logs,
        alerts: this.alerts,
        backups: () => this.backups,
        rules: this.rules,
        stateFolders: () => [this.config.dataDir, ...(this.config.backups.scratchDir ? [this.config.backups.scratchDir] : [])],
        metrics: () => this.metrics,
        metricsMaxBytes: () => this.config.metricsMaxBytes,
        settings: () => this.config.maintenance,
        beforeBackup: (type) => this.beforeScheduledBackup(type),
        backupsChanged: () => this.afterBackupChange(),
      }),
    });
    m.runbooks = () => this.runbooks.list().map((r) => r.name).sort();
    m.onDidChange(() => {
      this.maintenanceTree?.refresh();
      this.maintenanceChanged.fire();
    });
    return m;
  }

  private async startMaintenance(): Promise<void> {
    try {
      await this.maintenance.start();
      for (const p of this.maintenance.problems) this.logs.warn('settings', p);
      this.maintenanceTree.refresh();
    } catch (err) {
      this.logs.error('maintenance', 'Could not start maintenance', err instanceof Error ? err : { error: String(err) });
    }
  }

  /** Why a scheduled backup of `type` has nothing to do, if so; writes the extension list first. */
  private async beforeScheduledBackup(type: string): Promise<string | undefined> {
    const roots = this.backups.settings().roots;
    if (type === 'USER_DATA' && !roots?.USER_DATA?.length) return 'no user-data folder is chosen';
    if ((type === 'FULL' || type === 'INCREMENTAL') && roots && !roots.FULL?.length) return 'no folder is open';
    if (type === 'CONFIGURATION') {
      const nothing = await prepareConfigurationBackup(this, { quiet: true });
      if (nothing) return nothing.message;
    }
    return undefined;
  }

  setMonitoring(enabled: boolean): void {
    if (enabled) this.monitor.start();
    else if (this.monitor.isRunning) this.monitor.stop();
    void vscode.commands.executeCommand('setContext', 'codebaseGardener.monitoring', enabled);
    this.updateStatusBar(this.monitor.report());
  }

  private applyConfig(): void {
    this.config = readConfig(this.places, declaredConfiguration(this.extension));
    this.monitor.updateSettings(this.config.health, this.config.dataDir);
    this.alerts.updateSettings(this.config.alerts.engine);
    this.logs.configure(this.config.logs);
    if (this.metrics.dataDir !== this.config.dataDir) this.metrics = new MetricHistory(this.config.dataDir);
    if (this.maintenance.dataDir !== this.config.dataDir) {
      const old = this.maintenance;
      this.maintenance = this.makeMaintenance();
      void old.dispose().then(() => this.startMaintenance());
    } else {
      this.maintenance.updateSettings(this.config.maintenance);
    }
    if (this.backups.dataDir !== this.config.dataDir || this.backups.backupsDir !== this.config.backups.folder) {
      this.backups = this.makeBackupManager();
      void this.initBackups();
    } else {
      this.backups.configure(this.config.backups);
    }
    this.backupsTree.settingsChanged();
    void this.alerts.setDataDir(this.config.dataDir).catch((err) => this.logs.error('alerts', 'Could not load alerts', err instanceof Error ? err : { error: String(err) }));
    this.reportProblems();
    this.setMonitoring(this.config.monitoringEnabled);
    // New probes or thresholds should show at once, not at the next tick.
    if (this.monitor.isRunning) void this.monitor.comprehensiveHealthCheck();
  }

  private makeBackupManager(): BackupManager {
    const manager = new BackupManager(systemClock, this.config.dataDir, this.config.backups.folder, this.backupKeys, this.config.backups, {
      record: (op, fn, fields) => this.logs.record(op, fn, fields),
      info: (m, f) => this.logs.info('backup', m, f),
      error: (m, err) => this.logs.error('backup', m, err instanceof Error ? err : { error: String(err) }),
      // A catalog repaired at start, a journal refused: the user should know, once.
      warn: (m, f) => {
        this.logs.warn('backup', m, f);
        void this.alerts.raise({ component: 'backup', metric: 'catalog', level: 'WARNING', message: m });
      },
    });
    this.backupWatcher.attach(manager);
    return manager;
  }

  /** A new manager on the configured folders, loaded: after 0.1's backups were moved in. */
  async reopenBackups(): Promise<void> {
    this.backups = this.makeBackupManager();
    await this.initBackups();
  }

  /**
   * At start: load the catalog, clear half-written archives, finish an interrupted restore.
   * Says whether the catalog could be read (no backups folder yet counts: it is empty).
   */
  private async initBackups(): Promise<boolean> {
    // Only when backups exist: a workspace that never backed up gets no backups folder.
    if (!fs.existsSync(this.backups.backupsDir)) {
      this.afterBackupChange();
      return true;
    }
    try {
      await this.backups.init();
      await this.checkBackupFreshness();
    } catch (err) {
      this.logs.error('backup', `Could not load the backup catalog in ${this.backups.backupsDir}`, err instanceof Error ? err : { error: String(err) });
      // Sealed with a key this machine lacks: nothing can be listed or saved until it is imported.
      if (isGardenerError(err, ['NO_KEY', 'WRONG_KEY'])) {
        await this.alerts.raise({ component: 'backup', metric: 'key', level: 'WARNING', message: err.message });
        void vscode.window.showWarningMessage(`Codebase Gardener: ${err.message}`, 'Import Recovery Key…').then((c) => c && vscode.commands.executeCommand('codebaseGardener.importRecoveryKey'));
      }
      this.afterBackupChange();
      return false;
    }
    this.afterBackupChange();
    return true;
  }

  afterBackupChange(): void {
    this.backupsTree?.refresh();
    this.backupsChanged?.fire();
    void vscode.commands.executeCommand('setContext', 'codebaseGardener.hasBackups', this.backups.catalog.backups.length > 0);
  }

  /** "No successful backup in N hours" (see BackupRules.checkFreshness). */
  private async checkBackupFreshness(): Promise<void> {
    await this.rules.checkFreshness(this.backups.status(), { now: Date.now(), staleAfterHours: this.config.backups.staleAfterHours, watchedSince: this.maintenance.watchedSince() });
  }

  private updateStatusBar(r: HealthReport): void {
    this.statusBar.update(r, this.alerts.engine.counts());
  }

  private onAlerts(events: AlertEvent[]): void {
    notify(this, events);
    this.updateStatusBar(this.monitor.report());
    for (const e of events) {
      const fields = { alertId: e.alert.id, level: e.alert.level, key: e.alert.key };
      if (e.kind === 'opened' || e.kind === 'escalated' || e.kind === 'reopened') this.logs.warn('alerts', `Alert ${e.kind}: ${e.alert.message}`, fields);
      else if (e.kind === 'resolved') this.logs.info('alerts', `Alert resolved: ${e.alert.message}`, fields);
    }
  }

  private onReport(r: HealthReport): void {
    const m = r.systemMetrics;
    if (m && r.sampledAt && this.lastPoint?.t !== m.timestamp) this.recordMetrics(r, m.timestamp);
    this.updateStatusBar(r);
    this.updated.fire(r);
    void this.alerts.observe(r);
  }

  private metricsFailed = false;

  /** Appends the sample to the metric history; a failure is logged once, not at every sample. */
  private recordMetrics(r: HealthReport, t: number): void {
    const m = r.systemMetrics;
    const times = Object.values(r.components).map((c) => c.responseTimeMs).filter((v) => Number.isFinite(v));
    try {
      const point: MetricPoint = {
        t,
        cpu: m?.cpuPercent ?? null,
        memory: m?.memoryPercent ?? null,
        disk: m?.diskPercent ?? null,
        responseMs: times.length ? Math.max(...times) : null,
        score: typeof r.integrationHealth.score === 'number' ? r.integrationHealth.score : null,
      };
      this.lastPoint = point;
      // The history is the data folder's, shared by the windows on it (every window with no
      // folder open shares one): the machine's samples are written by one of them, the leader.
      if (!this.maintenance?.followsAnother) this.metrics.append(point);
      this.metricsFailed = false;
    } catch (err) {
      if (!this.metricsFailed) this.logs.warn('metrics', `Could not append to the metric history in ${this.metrics.dir}: ${err instanceof Error ? err.message : String(err)}`);
      this.metricsFailed = true;
    }
  }

  /** One warning per distinct set of invalid settings, naming them; details go to the log. */
  private reportProblems(): void {
    const problems = this.config.health.configurationProblems;
    const key = problems.join('\n');
    if (key === this.shownProblems) return;
    this.shownProblems = key;
    if (!problems.length) return;
    for (const p of problems) this.logs.warn('settings', p);
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more in the output log)` : '';
    void vscode.window.showWarningMessage(`Codebase Gardener: ${problems[0]}${more}`, 'Open Settings').then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', `@ext:codebase-gardener.codebase-gardener`);
    });
  }
}

function mirrorEntry(out: vscode.LogOutputChannel, e: LogEntry): void {
  const text = `[${e.component}] ${e.message}${e.error ? `: ${e.error.message}` : ''}`;
  switch (e.level) {
    case 'DEBUG':
      return out.debug(text);
    case 'INFO':
      return out.info(text);
    case 'WARNING':
      return out.warn(text);
    default:
      return out.error(text);
  }
}
