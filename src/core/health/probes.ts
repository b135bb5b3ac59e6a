import * as fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

/** A component probe as a user configures it. */
export type ProbeConfig =
  | { kind: 'http'; name: string; url: string; timeoutMs?: number; critical?: boolean }
  | { kind: 'tcp'; name: string; host: string; port: number; timeoutMs?: number; critical?: boolean }
  | { kind: 'path'; name: string; path: string; mustExist?: boolean; critical?: boolean };

/** A check of the extension's own machinery, supplied by whoever hosts the monitor. */
export interface InternalProbe {
  kind: 'internal';
  name: string;
  critical?: boolean;
  check(): Promise<{ ok: boolean; message: string }> | { ok: boolean; message: string };
}

export type Probe = ProbeConfig | InternalProbe;

export interface ProbeOutcome {
  ok: boolean;
  message: string;
  /** Milliseconds until the answer (or the failure) arrived. */
  responseTimeMs: number;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

export function probeTarget(p: Probe): string {
  switch (p.kind) {
    case 'http':
      return p.url;
    case 'tcp':
      return `${p.host}:${p.port}`;
    case 'path':
      return p.path;
    case 'internal':
      return 'extension';
  }
}

export async function runProbe(p: Probe): Promise<ProbeOutcome> {
  const started = performance.now();
  const done = (ok: boolean, message: string): ProbeOutcome => ({
    ok,
    message,
    responseTimeMs: Math.round((performance.now() - started) * 10) / 10,
  });
  try {
    switch (p.kind) {
      case 'http': {
        const r = await httpCheck(p.url, p.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, await clients());
        return done(r.ok, r.message);
      }
      case 'tcp': {
        const r = await tcpCheck(p.host, p.port, p.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, (await clients()).net);
        return done(r.ok, r.message);
      }
      case 'path': {
        const r = await pathCheck(p.path, p.mustExist ?? true);
        return done(r.ok, r.message);
      }
      case 'internal': {
        const r = await p.check();
        return done(r.ok, r.message);
      }
    }
  } catch (err) {
    return done(false, `probe failed: ${errorText(err)}`);
  }
}

type Clients = { http: typeof import('node:http'); https: typeof import('node:https'); net: typeof import('node:net') };
let loaded: Promise<Clients> | undefined;

/** Network modules load on the first probe that needs them, not when the extension activates. */
function clients(): Promise<Clients> {
  loaded ??= Promise.all([import('node:http'), import('node:https'), import('node:net')]).then(([http, https, net]) => ({ http, https, net }));
  return loaded;
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    const code = (err as { code: string }).code;
    const known: Record<string, string> = {
      ECONNREFUSED: 'connection refused',
      ECONNRESET: 'connection reset',
      ENOTFOUND: 'host not found',
      EHOSTUNREACH: 'host unreachable',
      ETIMEDOUT: 'timed out',
    };
    return known[code] ?? `${code}: ${String((err as { message?: unknown }).message ?? '')}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function httpCheck(url: string, timeoutMs: number, { http, https }: Clients): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolve) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      resolve({ ok: false, message: `not a valid URL: ${url}` });
      return;
    }
    const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
    if (!client) {
      resolve({ ok: false, message: `unsupported protocol ${parsed.protocol} (use http: or https:)` });
      return;
    }
    let settled = false;
    const finish = (ok: boolean, message: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ok, message });
    };
    // The whole exchange is bounded, not just socket idleness: a server that trickles
    // bytes forever must still fail the probe.
    const timer = setTimeout(() => finish(false, `no response within ${timeoutMs} ms`), timeoutMs);
    const req = client.get(parsed, { headers: { 'user-agent': 'codebase-gardener-probe' }, agent: false }, (res) => {
      const code = res.statusCode ?? 0;
      res.resume();
      finish(code >= 200 && code < 400, `HTTP ${code}${res.statusMessage ? ' ' + res.statusMessage : ''}`);
    });
    req.on('error', (err) => finish(false, errorText(err)));
  });
}

function tcpCheck(host: string, port: number, timeoutMs: number, net: Clients['net']): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (ok: boolean, message: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok, message });
    };
    const timer = setTimeout(() => finish(false, `no connection within ${timeoutMs} ms`), timeoutMs);
    const socket = net.connect({ host, port });
    socket.once('connect', () => finish(true, `accepting connections on ${host}:${port}`));
    socket.once('error', (err) => finish(false, errorText(err)));
  });
}

async function pathCheck(target: string, mustExist: boolean): Promise<{ ok: boolean; message: string }> {
  try {
    const st = await fs.stat(target);
    await fs.access(target, fsConstants.W_OK);
    return { ok: true, message: `${st.isDirectory() ? 'folder' : 'file'} exists and is writable` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return { ok: false, message: 'exists but is not writable' };
    if (code !== 'ENOENT') return { ok: false, message: errorText(err) };
    if (mustExist) return { ok: false, message: 'does not exist' };
    // A folder we create on first write only needs a writable ancestor.
    const ancestor = await nearestExisting(path.dirname(path.resolve(target)));
    try {
      await fs.access(ancestor, fsConstants.W_OK);
      return { ok: true, message: `not created yet; ${ancestor} is writable` };
    } catch {
      return { ok: false, message: `does not exist and ${ancestor} is not writable` };
    }
  }
}

export async function nearestExisting(dir: string): Promise<string> {
  let current = path.resolve(dir);
  for (;;) {
    try {
      await fs.stat(current);
      return current;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/**
 * Probe configs from the `probes` setting's entries, which validateSettings has checked against
 * package.json's schema (kind, the fields each kind needs, port and timeout bounds). What a
 * per-entry schema cannot say is checked here: a name used twice keeps the first probe.
 */
export function probeConfigsFrom(entries: readonly unknown[], settingName = 'probes'): { probes: ProbeConfig[]; problems: string[] } {
  const probes: ProbeConfig[] = [];
  const problems: string[] = [];
  const names = new Set<string>();
  entries.forEach((entry) => {
    const e = entry as ProbeConfig & { timeoutMs?: number };
    const name = e.name.trim();
    if (names.has(name)) {
      problems.push(`${settingName}: the name "${name}" is used by two probes; the second is left out.`);
      return;
    }
    names.add(name);
    const critical = e.critical === true;
    if (e.kind === 'http') probes.push({ kind: 'http', name, url: e.url, timeoutMs: e.timeoutMs, critical });
    else if (e.kind === 'tcp') probes.push({ kind: 'tcp', name, host: e.host, port: e.port, timeoutMs: e.timeoutMs, critical });
    else probes.push({ kind: 'path', name, path: e.path, mustExist: e.mustExist !== false, critical });
  });
  return { probes, problems };
}
