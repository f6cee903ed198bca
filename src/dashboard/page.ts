/**
 * The status page: index.html with dashboard.css and dashboard.js inlined, so it is one response that works offline
 * and needs no static file hosting. The files sit next to this module (the build copies them to dist/src/dashboard).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FINISHED_STATUSES } from '../domain/status';

export interface DashboardPage {
  html: string;
  headers: Record<string, string>;
}

let page: DashboardPage | undefined;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The status vocabulary the page's script reads, as a JSON data block (not executed, so the CSP needs no entry for
 * it): the browser code uses the same list as the server.
 */
function vocabulary(): string {
  const data = JSON.stringify({ finished: FINISHED_STATUSES }).replace(/</g, '\\u003c');
  return `<script type="application/json" id="vocabulary">${data}</script>`;
}

export function dashboardPage(directory: string = __dirname): DashboardPage {
  if (page && directory === __dirname) return page;
  const read = (file: string) => readFileSync(join(directory, file), 'utf8');
  const style = read('dashboard.css');
  const script = read('dashboard.js');
  const html = read('index.html')
    .replace('<!-- STYLE -->', () => `<style>${style}</style>`)
    .replace('<!-- SCRIPT -->', () => `${vocabulary()}<script>${script}</script>`);
  const built: DashboardPage = {
    html,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      // The page URL may carry the function key (?code=): never send it on in a Referer header.
      'Referrer-Policy': 'no-referrer',
      // Only the inline style and script shipped here run; the page talks to its own origin only.
      'Content-Security-Policy': [
        "default-src 'none'",
        `script-src ${sha256(script)}`,
        `style-src ${sha256(style)}`,
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
    },
  };
  if (directory === __dirname) page = built;
  return built;
}
