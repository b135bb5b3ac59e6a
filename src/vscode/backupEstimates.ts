import type { BackupSettings, SourcedType } from '../core/backup';
import { measureSources, type Measure } from '../core/estimate';
import { Disposable } from './dispose';

export type Estimate =
  /** Being measured; `previous` is the last measure, shown meanwhile when there is one. */
  | { state: 'measuring'; previous?: Measure }
  | { state: 'done'; measure: Measure; at: number }
  | { state: 'failed'; error: string };

/** Quickest first: the view fills in type by type. */
const ORDER: SourcedType[] = ['CONFIGURATION', 'USER_DATA', 'FULL'];

/**
 * What each backup type would hold now, for the Backups view while it has no backups: walked
 * as the engine walks (its globs, `.gitignore`, the size limit) in the background, only once
 * something asks (the view is shown), cached, measured again when the sources change or on
 * request, and cancelled when superseded or disposed.
 */
export class BackupEstimates extends Disposable {
  private readonly results = new Map<SourcedType, Estimate>();
  private controller: AbortController | undefined;
  /** The sources the results are for. */
  private key: string | undefined;

  constructor(
    private readonly roots: () => BackupSettings['roots'],
    private readonly changed: () => void,
  ) {
    super();
    this.register({ dispose: () => this.controller?.abort() });
  }

  /** The estimate of a type; asking starts the measure, the first time or when the sources changed. */
  get(type: SourcedType): Estimate {
    const roots = this.roots();
    if (JSON.stringify(roots ?? null) !== this.key) this.start(roots, false);
    return this.results.get(type) ?? { state: 'measuring' };
  }

  /** After a settings change: a measure under way for other sources stops, and the next `get` starts afresh. */
  sourcesChanged(): void {
    if (JSON.stringify(this.roots() ?? null) === this.key) return;
    this.controller?.abort();
    this.controller = undefined;
    this.key = undefined;
    this.results.clear();
  }

  /** Measures again if the last measure is older than `ms` (files change), showing the old figures meanwhile. */
  refreshIfOlderThan(ms: number): void {
    if (this.controller || this.key === undefined) return;
    const oldest = Math.min(...[...this.results.values()].map((e) => (e.state === 'done' ? e.at : 0)));
    if (Date.now() - oldest > ms) this.start(this.roots(), true);
  }

  private start(roots: BackupSettings['roots'], keepShown: boolean): void {
    this.controller?.abort();
    const c = new AbortController();
    this.controller = c;
    this.key = JSON.stringify(roots ?? null);
    for (const t of ORDER) {
      const e = this.results.get(t);
      this.results.set(t, { state: 'measuring', ...(keepShown && e?.state === 'done' ? { previous: e.measure } : {}) });
    }
    void this.run(roots, c);
  }

  private async run(roots: BackupSettings['roots'], c: AbortController): Promise<void> {
    // Off the turn that asked: the view gets its items first.
    await new Promise((r) => setTimeout(r, 0));
    for (const type of ORDER) {
      if (c.signal.aborted) return;
      let e: Estimate;
      try {
        e = { state: 'done', measure: await measureSources(roots?.[type] ?? [], c.signal, type === 'CONFIGURATION'), at: Date.now() };
      } catch (err) {
        e = { state: 'failed', error: err instanceof Error ? err.message : String(err) };
      }
      if (c.signal.aborted) return;
      this.results.set(type, e);
      this.changed();
    }
    if (this.controller === c) this.controller = undefined;
  }
}
