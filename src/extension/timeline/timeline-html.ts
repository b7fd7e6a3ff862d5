/**
 * The timeline page's HTML: a strict Content-Security-Policy (nothing but the
 * bundle's script with this load's nonce, styles from the bundle's origin and
 * inline style attributes the web components set), no remote anything. Pure,
 * so the policy is unit-tested.
 */
export interface TimelineHtmlParts {
  /** The webview's origin for local resources (`webview.cspSource`). */
  cspSource: string;
  /** The bundle's URI as the webview sees it (`webview.asWebviewUri`). */
  scriptUri: string;
  /** Fresh per load. */
  nonce: string;
  title: string;
}

export function contentSecurityPolicy(p: Pick<TimelineHtmlParts, 'cspSource' | 'nonce'>): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${p.nonce}'`,
    // Web components (vscode-elements) adopt constructed stylesheets and set style attributes.
    `style-src ${p.cspSource} 'unsafe-inline'`,
    `font-src ${p.cspSource}`,
    `img-src ${p.cspSource} data:`,
  ].join('; ');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function timelineHtml(p: TimelineHtmlParts): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(p))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(p.title)}</title>
</head>
<body>
<div id="root"></div>
<script nonce="${escapeHtml(p.nonce)}" src="${escapeHtml(p.scriptUri)}"></script>
</body>
</html>`;
}

/** 32 characters from [A-Za-z0-9], from a CSPRNG. */
export function makeNonce(randomBytes: (n: number) => Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(32), (b) => alphabet[b % alphabet.length]).join('');
}
