// The HTML document every webview of ours is: a Content-Security-Policy, our one stylesheet,
// a body, and at most one script allowed by its nonce. Nothing else is ever put in <head>.

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface WebviewDocument {
  /** The policy's directives, joined with '; '. */
  csp: string[];
  title: string;
  stylesheet: string;
  /** Markup, already safe: callers escape what they put in it. */
  body: string;
  script?: { src: string; nonce: string };
}

export function webviewPage(d: WebviewDocument): string {
  const script = d.script ? `\n<script nonce="${escapeHtml(d.script.nonce)}" src="${escapeHtml(d.script.src)}"></script>` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(d.csp.join('; '))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(d.stylesheet)}">
<title>${escapeHtml(d.title)}</title>
</head>
<body>
${d.body}${script}
</body>
</html>`;
}
