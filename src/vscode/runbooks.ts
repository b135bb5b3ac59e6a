import * as os from 'node:os';
import * as vscode from 'vscode';
import { listRunbooks, userRunbookFolder, type RunbookEntry, type RunbookFolders, type SettingLookup } from '../core/runbooks';
import { SECTION } from './config';

/** How long a listing is reused: the Alerts view asks for each item it draws. */
const LIST_TTL_MS = 5_000;

interface Manifest {
  contributes?: {
    commands?: { command: string; title: string }[];
    configuration?: { properties?: Record<string, unknown> } | { properties?: Record<string, unknown> }[];
  };
}

/** The runbooks of the extension and of the user's folder (`runbooks.folder`), listed afresh every few seconds. */
export class Runbooks {
  private cached: { at: number; list: RunbookEntry[] } | undefined;
  private shownProblems = new Set<string>();
  private readonly settingKeys: Set<string>;

  constructor(
    private readonly extension: vscode.ExtensionContext,
    private readonly log: { warn(m: string): void },
  ) {
    const c = (extension.extension.packageJSON as Manifest).contributes?.configuration;
    this.settingKeys = new Set((Array.isArray(c) ? c : c ? [c] : []).flatMap((x) => Object.keys(x.properties ?? {})));
  }

  folders(): RunbookFolders {
    const i = vscode.workspace.getConfiguration(SECTION).inspect<string>('runbooks.folder');
    // A workspace could otherwise bring runbooks of its own to an untrusted window (restrictedConfigurations).
    const setting = vscode.workspace.isTrusted ? vscode.workspace.getConfiguration(SECTION).get<string>('runbooks.folder') : i?.globalValue;
    const u = userRunbookFolder(setting, os.homedir());
    if (u.problem) this.warnOnce(u.problem);
    return { bundled: vscode.Uri.joinPath(this.extension.extensionUri, 'runbooks').fsPath, user: u.folder };
  }

  list(fresh = false): RunbookEntry[] {
    const now = Date.now();
    if (!fresh && this.cached && now - this.cached.at < LIST_TTL_MS) return this.cached.list;
    const { runbooks, problems } = listRunbooks(this.folders());
    for (const p of problems) this.warnOnce(p);
    this.cached = { at: now, list: runbooks };
    return runbooks;
  }

  get(name: string, fresh = false): RunbookEntry | undefined {
    return this.list(fresh).find((r) => r.name === name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  /** Our settings, as `{{codebaseGardener.…}}` placeholders read them: current values, in effect for this window. */
  readonly setting: SettingLookup = (key) => {
    if (!this.settingKeys.has(key)) return { known: false };
    return { known: true, value: vscode.workspace.getConfiguration().get(key) };
  };

  /** Our commands with their titles: the ones a runbook's links may run. */
  commands(): Map<string, string> {
    const cmds = (this.extension.extension.packageJSON as Manifest).contributes?.commands ?? [];
    return new Map(cmds.filter((c) => c.command.startsWith(`${SECTION}.`)).map((c) => [c.command, c.title]));
  }

  private warnOnce(m: string): void {
    if (this.shownProblems.has(m)) return;
    this.shownProblems.add(m);
    this.log.warn(m);
  }
}
