// Reads a page's Content-Security-Policy back and says what is wrong with it: the check the
// dashboard's HTML must pass, in a unit test and against what the running extension serves.

/** The policy from the page's meta tag, directive → sources; undefined if there is none. */
export function readCsp(html: string): Map<string, string[]> | undefined {
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(html);
  if (!meta) return undefined;
  // As the browser reads the attribute: character references decoded first.
  const named: Record<string, string> = { quot: '"', lt: '<', gt: '>', apos: "'", amp: '&' };
  const text = meta[1].replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (m, ref: string) =>
    ref[0] === '#' ? String.fromCodePoint(ref[1].toLowerCase() === 'x' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1))) : (named[ref.toLowerCase()] ?? m),
  );
  const out = new Map<string, string[]>();
  for (const part of text.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out.set(name.toLowerCase(), sources);
  }
  return out;
}

/**
 * Every way the page's policy falls short of a strict one; empty when it is strict.
 * `cspSource` is the webview's own: one or more sources (VS Code's resource origin) it may name.
 */
export function cspProblems(html: string, cspSource: string): string[] {
  const own = new Set(cspSource.split(/\s+/).filter(Boolean));
  const csp = readCsp(html);
  if (!csp) return ['the page has no Content-Security-Policy'];
  const problems: string[] = [];
  if (csp.get('default-src')?.join(' ') !== "'none'") problems.push("default-src is not 'none'");
  const allowedSources = new Set(["'none'", "'self'", 'data:', ...own]);
  for (const [name, sources] of csp) {
    for (const s of sources) {
      if (s === "'unsafe-inline'") problems.push(`${name} allows inline code ('unsafe-inline')`);
      else if (s === "'unsafe-eval'" || s === "'wasm-unsafe-eval'") problems.push(`${name} allows eval (${s})`);
      else if (s === "'unsafe-hashes'") problems.push(`${name} allows inline handlers ('unsafe-hashes')`);
      else if (s === '*' || (/^(https?|wss?):/.test(s) && !own.has(s))) problems.push(`${name} allows a remote origin (${s})`);
      else if (s.startsWith("'nonce-")) {
        if (name !== 'script-src') problems.push(`${name} allows code by nonce`);
      } else if (!allowedSources.has(s)) problems.push(`${name} allows ${s}`);
    }
  }
  const script = csp.get('script-src') ?? csp.get('default-src') ?? [];
  if (!script.some((s) => s.startsWith("'nonce-"))) problems.push('scripts are not limited to a nonce');
  if (script.some((s) => !s.startsWith("'nonce-"))) problems.push(`script-src allows more than its nonce (${script.join(' ')})`);
  if (csp.get('style-src')?.includes('data:')) problems.push('style-src allows data: URLs');
  // Inline code in the markup itself, which a policy might not catch if it were loosened later.
  if (/<style[\s>]/i.test(html)) problems.push('the page has an inline <style> element');
  if (/\sstyle\s*=/i.test(html)) problems.push('the page has an inline style attribute');
  if (/\son[a-z]+\s*=/i.test(html)) problems.push('the page has an inline event handler');
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (m[2].trim()) problems.push('the page has an inline script');
    if (!/\snonce="[^"]+"/.test(m[1])) problems.push('a script has no nonce');
  }
  return problems;
}
