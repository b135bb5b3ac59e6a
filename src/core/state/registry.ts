import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomically } from '../atomicFile';
import { readJsonFileSync } from '../jsonFile';
import { checkWorkspaceRecord, identify, type Identified, type RootStat, type SeenWorkspace, type WorkspaceRecord } from './identity';

/**
 * The workspaces this machine has seen, one small file per workspace (`<id>.json`) in the
 * extension's global storage. One file each, so two windows starting at once never overwrite
 * each other's record, as they could in one shared file or one globalState value.
 */
export class WorkspaceRegistry {
  constructor(readonly dir: string) {}

  /** Every record that reads back sound; the others are named in `problems` and left alone. */
  read(): { records: WorkspaceRecord[]; problems: string[] } {
    const records: WorkspaceRecord[] = [];
    const problems: string[] = [];
    let names: string[];
    try {
      names = fs.readdirSync(this.dir).filter((n) => n.endsWith('.json'));
    } catch {
      return { records, problems };
    }
    for (const name of names) {
      try {
        const r = readJsonFileSync(path.join(this.dir, name), checkWorkspaceRecord);
        // A record is trusted only under its own name, so one file cannot claim another's id.
        if (`${r.id}.json` === name) records.push(r);
        else problems.push(`${name} holds the record of ${r.id}`);
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
    return { records, problems };
  }

  /** Which workspace `seen` is, and the record to keep (written by `save` when it changed). */
  identify(seen: SeenWorkspace, now: number): Identified & { problems: string[] } {
    const { records, problems } = this.read();
    return { ...identify(records, seen, { newId: () => `ws-${randomBytes(8).toString('hex')}`, now }), problems };
  }

  save(record: WorkspaceRecord): Promise<void> {
    return writeJsonAtomically(path.join(this.dir, `${record.id}.json`), record);
  }
}

/** A root folder's identity on disk, or undefined when it cannot be read (then only its path counts). */
export function statRoot(folder: string): RootStat | undefined {
  try {
    const st = fs.statSync(folder, { bigint: true });
    return { path: folder, dev: st.dev.toString(), ino: st.ino.toString(), birthtimeMs: Number(st.birthtimeMs) };
  } catch {
    return undefined;
  }
}
