import { randomBytes } from 'node:crypto';
import MarkdownIt, { type StateCore, type Token } from 'markdown-it';

/**
 * Renders a runbook's Markdown to HTML for the runbook viewer, with markdown-it (CommonMark).
 * The text may come from the user's own folder, so it is rendered as untrusted:
 * - raw HTML is escaped (`html: false`), nothing is linkified or auto-typeset;
 * - a link survives only if it is a `command:` link to a command we allow (with arguments that
 *   are JSON), an http(s) link, an anchor in the page, or a relative link to another runbook
 *   (`backup_procedures.md`, turned into a link that opens it); any other link keeps its text
 *   and says why it is not a link; images show their description;
 * - `{{codebaseGardener.some.setting}}` is replaced by the setting's current value (as text,
 *   escaped), and a placeholder naming no setting of ours stays visible, marked unknown.
 */

export type SettingLookup = (key: string) => { known: false } | { known: true; value: unknown };

export interface RenderOptions {
  setting: SettingLookup;
  /** The commands a link may run, with their titles (for the link's tooltip). */
  commands: ReadonlyMap<string, string>;
  /** The runbooks a relative link may open. */
  runbooks?: ReadonlySet<string>;
  /** Commands a link may run only without arguments (default LINK_WITHOUT_ARGUMENTS). */
  withoutArguments?: ReadonlySet<string>;
}

/**
 * Commands that replace, delete or hand out data skip their confirmation when scripted with
 * arguments (`{ "confirmed": true }`, a path…). A runbook may come from a folder on disk, so a
 * link may run them only bare: they then ask, as from the palette.
 */
export const LINK_WITHOUT_ARGUMENTS: ReadonlySet<string> = new Set(
  ['deleteBackup', 'restoreBackup', 'restoreBackupTo', 'restoreBackupPath', 'undoRestore', 'importRecoveryKey', 'exportRecoveryKey', 'chooseBackupFolder', 'chooseUserDataFolders'].map(
    (c) => `codebaseGardener.${c}`,
  ),
);

export interface RenderedRunbook {
  html: string;
  placeholders: { key: string; known: boolean; text: string }[];
  links: { href: string; kind: 'command' | 'web' | 'anchor' | 'runbook' | 'blocked'; reason?: string }[];
}

export const OPEN_RUNBOOK = 'codebaseGardener.openRunbook';
export const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_.-]{0,199})\s*\}\}/g;

/** The setting keys a runbook's text names in `{{…}}`, in order, each once. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/** A setting's value as a reader sees it: numbers and text as they are, lists joined, nothing as "(not set)". */
export function formatSettingValue(v: unknown): string {
  if (v === undefined || v === null || v === '') return '(not set)';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (typeof v === 'number' || typeof v === 'string') return String(v);
  // A list of named things (probes) reads best by their names.
  const item = (x: unknown): string =>
    typeof x === 'string' ? x : x && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string' ? (x as { name: string }).name : JSON.stringify(x);
  if (Array.isArray(v)) return v.length ? v.map(item).join(', ') : '(none)';
  return JSON.stringify(v);
}

/** A `command:` link as VS Code reads it: the command, and its arguments as URL-encoded JSON. */
export function commandLink(command: string, ...args: unknown[]): string {
  return args.length ? `command:${command}?${encodeURIComponent(JSON.stringify(args))}` : `command:${command}`;
}

/** The command and arguments of a `command:` link, or undefined when it is not one VS Code could run. */
export function parseCommandLink(href: string): { command: string; args: unknown[] } | undefined {
  const m = /^command:([A-Za-z0-9_.-]+)(?:\?(.*))?$/s.exec(href);
  if (!m) return undefined;
  if (m[2] === undefined || m[2] === '') return { command: m[1], args: [] };
  try {
    const parsed: unknown = JSON.parse(decodeURIComponent(m[2]));
    return { command: m[1], args: Array.isArray(parsed) ? parsed : [parsed] };
  } catch {
    return undefined;
  }
}

type LinkVerdict = { kind: 'command' | 'web' | 'anchor' | 'runbook'; href: string; title?: string } | { kind: 'blocked'; reason: string };

function judgeLink(href: string, o: RenderOptions): LinkVerdict {
  if (href.startsWith('command:')) {
    const c = parseCommandLink(href);
    if (!c) return { kind: 'blocked', reason: 'its arguments are not URL-encoded JSON' };
    const title = o.commands.get(c.command);
    if (title === undefined) return { kind: 'blocked', reason: `${c.command} is not a Codebase Gardener command` };
    if (c.args.length && (o.withoutArguments ?? LINK_WITHOUT_ARGUMENTS).has(c.command)) {
      return { kind: 'blocked', reason: `${c.command} may be linked only without arguments, so that it asks first` };
    }
    return { kind: 'command', href, title: `Run “${title}” (${c.command})` };
  }
  if (/^https?:\/\//i.test(href)) return { kind: 'web', href, title: href };
  if (/^#[A-Za-z0-9_-]*$/.test(href)) return { kind: 'anchor', href };
  const rel = /^(?:\.\/)?([^/\\?#:]+)\.md(?:#[A-Za-z0-9_-]*)?$/.exec(href);
  if (rel) {
    const name = rel[1];
    if (!/^[a-z0-9_-]{1,100}$/.test(name) || !o.runbooks?.has(name)) return { kind: 'blocked', reason: `there is no runbook named ${name}` };
    if (!o.commands.has(OPEN_RUNBOOK)) return { kind: 'blocked', reason: 'runbooks cannot be opened from here' };
    return { kind: 'runbook', href: commandLink(OPEN_RUNBOOK, name), title: `Open the runbook ${name}` };
  }
  return { kind: 'blocked', reason: 'only Codebase Gardener commands, web pages, other runbooks and this page can be linked' };
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9 _-]/g, '')
      .trim()
      .replace(/\s+/g, '-') || 'section'
  );
}

/** Renders one runbook (see the file comment). */
export function renderRunbook(text: string, o: RenderOptions): RenderedRunbook {
  const placeholders: RenderedRunbook['placeholders'] = [];
  const links: RenderedRunbook['links'] = [];
  // Placeholders become plain letter tokens before parsing, so no key can change how the
  // Markdown around it parses, and are filled in (escaped) in the parsed tokens afterwards.
  const nonce = randomBytes(6).toString('hex');
  const keys: string[] = [];
  const source = text.replace(PLACEHOLDER, (_m, key: string) => `PH${nonce}X${keys.push(key) - 1}X`);
  const tokenRe = new RegExp(`PH${nonce}X(\\d+)X`, 'g');
  const md = MarkdownIt({ html: false, linkify: false, typographer: false });
  const esc = md.utils.escapeHtml;

  const fill = (key: string): { known: boolean; text: string } => {
    const s = o.setting(key);
    const r = s.known ? { known: true, text: formatSettingValue(s.value) } : { known: false, text: `{{${key}}}` };
    placeholders.push({ key, ...r });
    return r;
  };
  const plainFill = (s: string): string =>
    s.replace(tokenRe, (_m, i: string) => {
      const r = fill(keys[Number(i)]);
      return r.known ? r.text : `${r.text} (unknown setting)`;
    });
  const restore = (s: string): string => s.replace(tokenRe, (_m, i: string) => `{{${keys[Number(i)]}}}`);

  md.core.ruler.push('gardener_runbook', (state: StateCore) => {
    const seen = new Map<string, number>();
    for (let i = 0; i < state.tokens.length; i++) {
      const t = state.tokens[i];
      if (t.type === 'heading_open') {
        const inline = state.tokens[i + 1];
        const base = slug(restore(inline?.content ?? ''));
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        t.attrSet('id', n ? `${base}-${n}` : base);
      } else if (t.type === 'fence' || t.type === 'code_block') {
        t.content = plainFill(t.content);
        t.info = restore(t.info);
      } else if (t.type === 'inline' && t.children) {
        t.children = inlineTokens(t.children, state);
      }
    }
  });

  const inlineTokens = (children: Token[], state: StateCore): Token[] => {
    const out: Token[] = [];
    const html = (content: string): Token => {
      const h = new state.Token('html_inline', '', 0);
      h.content = content;
      return h;
    };
    let blocked = false;
    for (const c of children) {
      for (const [name, value] of c.attrs ?? []) c.attrSet(name, restore(value));
      if (c.type === 'text') {
        let last = 0;
        for (const m of c.content.matchAll(tokenRe)) {
          if (m.index > last) out.push(html(esc(c.content.slice(last, m.index))));
          const key = keys[Number(m[1])];
          const r = fill(key);
          out.push(
            html(
              r.known
                ? `<span class="setting" title="${esc(`Your setting ${key}`)}">${esc(r.text)}</span>`
                : `<span class="setting unknown" title="${esc(`${key} is not a Codebase Gardener setting`)}">${esc(r.text)} <em>(unknown setting)</em></span>`,
            ),
          );
          last = m.index + m[0].length;
        }
        if (last === 0) out.push(c);
        else if (last < c.content.length) out.push(html(esc(c.content.slice(last))));
      } else if (c.type === 'code_inline') {
        c.content = plainFill(c.content);
        out.push(c);
      } else if (c.type === 'link_open') {
        const href = c.attrGet('href') ?? '';
        const v = judgeLink(href, o);
        if (v.kind === 'blocked') {
          links.push({ href, kind: 'blocked', reason: v.reason });
          blocked = true;
          out.push(html(`<span class="blocked-link" title="${esc(`Not a link: ${v.reason} (${href})`)}">`));
        } else {
          links.push({ href: v.href, kind: v.kind });
          c.attrSet('href', v.href);
          c.attrSet('class', v.kind);
          if (v.title) c.attrSet('title', v.title);
          out.push(c);
        }
      } else if (c.type === 'link_close') {
        out.push(blocked ? html('</span>') : c);
        blocked = false;
      } else if (c.type === 'image') {
        const alt = restore(c.content || (c.children ?? []).map((x) => x.content).join(''));
        out.push(html(`<span class="image-omitted" title="Images are not shown in runbooks">[image${alt ? `: ${esc(alt)}` : ''}]</span>`));
      } else {
        out.push(c);
      }
    }
    return out;
  };

  // markdown-it's own check refuses javascript:, vbscript:, file: and data: links; ours (above) is stricter still.
  return { html: md.render(source), placeholders, links };
}
