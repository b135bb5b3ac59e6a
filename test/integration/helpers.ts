import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ActivationApi } from '../../src/vscode/extension';
import type { GardenerApi } from '../../src/vscode/gardener';
import { resultsDir } from './index';

export const EXTENSION_ID = 'codebase-gardener.codebase-gardener';

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The extension's API once VS Code has activated it by itself (onStartupFinished) and its core is ready. */
export async function gardener(): Promise<GardenerApi> {
  const ext = await waitFor('the extension to be installed', () => vscode.extensions.getExtension<ActivationApi>(EXTENSION_ID));
  await waitFor('the extension to activate on startup', () => ext.isActive, 30_000);
  return ext.exports.ready;
}

export function note(text: string): void {
  (globalThis as { __gardenerNotes?: string[] }).__gardenerNotes?.push(text);
}

/**
 * Asks the runner for a screenshot of the whole workbench. Only the browser side can take
 * one, so where the runner cannot (test-electron), this records a note and returns.
 */
export async function screenshot(name: string, settleMs = 800): Promise<void> {
  const requests = path.join(resultsDir(), '.requests');
  if (!fs.existsSync(path.join(requests, 'enabled'))) {
    note(`screenshot ${name} not taken: this runner cannot take screenshots`);
    return;
  }
  // Let the workbench paint what the test just changed.
  await new Promise((r) => setTimeout(r, settleMs));
  fs.writeFileSync(path.join(requests, `${name}.req`), '');
  await waitFor(`screenshot ${name}`, () => fs.existsSync(path.join(requests, `${name}.done`)), 20_000);
}

/**
 * Asks the runner to act in the page as the user would, on the first element `selector` finds
 * in any frame of the workbench (webviews included), retrying until one exists. Undefined where
 * the runner cannot (test-electron), with a note.
 */
async function act(kind: 'click' | 'fill' | 'query', name: string, request: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
  const requests = path.join(resultsDir(), '.requests');
  if (!fs.existsSync(path.join(requests, 'enabled'))) {
    note(`${kind} ${name} not made: this runner cannot act in the page`);
    return undefined;
  }
  const until = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const id = `${name}-${attempt}`;
    fs.writeFileSync(path.join(requests, `${id}.${kind}`), JSON.stringify(request));
    const answer = await waitFor(`${kind} ${name}`, () => ['done', 'missing'].find((a) => fs.existsSync(path.join(requests, `${id}.${a}`))), 20_000);
    if (answer === 'done') {
      const text = fs.readFileSync(path.join(requests, `${id}.done`), 'utf8');
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    }
    if (Date.now() > until) throw new Error(`No element matches ${String(request.selector)} for ${kind} ${name}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** A click as the user makes it. False where the runner cannot click (test-electron). */
export async function click(name: string, selector: string, timeoutMs = 20_000): Promise<boolean> {
  return (await act('click', name, { selector }, timeoutMs)) !== undefined;
}

/** Types `value` into the input `selector` finds (Playwright's fill). False where the runner cannot. */
export async function fill(name: string, selector: string, value: string, timeoutMs = 20_000): Promise<boolean> {
  return (await act('fill', name, { selector, value }, timeoutMs)) !== undefined;
}

/** The text (and `attribute`, and the computed `style` property) of the element `selector` finds; undefined where the runner cannot look. */
export async function query(
  name: string,
  selector: string,
  attribute?: string,
  timeoutMs = 20_000,
  style?: string,
): Promise<{ text: string | null; attribute: string | null; style: string | null } | undefined> {
  const r = await act('query', name, { selector, ...(attribute ? { attribute } : {}), ...(style ? { style } : {}) }, timeoutMs);
  return r as { text: string | null; attribute: string | null; style: string | null } | undefined;
}

/** Whether the runner can look into and act in the page (code-server with Chromium). */
export function canDrivePage(): boolean {
  return fs.existsSync(path.join(resultsDir(), '.requests', 'enabled'));
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('codebaseGardener').update(key, value, vscode.ConfigurationTarget.Workspace);
}

/** A loopback port nothing listens on: a probe of it fails with "connection refused". */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
