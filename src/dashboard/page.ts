/**
 * The operator console: index.html with the console's bundle (assets/console.js and console.css, built from
 * ./console by scripts/build-console.ts) inlined, so it is one response that needs no CDN and no static file hosting.
 * The Content-Security-Policy allows exactly that script and style (by hash) and calls to this origin only.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiAuthMode } from '../config/settings';
import { FINISHED_STATUSES, MIGRATION_STATUSES } from '../domain/status';

export interface DashboardPage {
  html: string;
  headers: Record<string, string>;
}

export interface DashboardOptions {
  /** Where index.html and assets/ are (this module's folder). */
  directory?: string;
  /** How the API authenticates callers: the console asks for a key only with function keys. */
  auth?: ApiAuthMode;
}

const pages = new Map<string, DashboardPage>();

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The vocabulary the console reads, as a JSON data block (not executed, so the CSP needs no entry for it): the browser
 * code uses the same status lists as the server, and knows how the API authenticates.
 */
function vocabulary(auth: ApiAuthMode): string {
  const data = JSON.stringify({
    statuses: MIGRATION_STATUSES,
    finished: FINISHED_STATUSES,
    auth,
    adminCenter: 'https://admin.microsoft.com/#/subscriptions',
  }).replace(/</g, '\\u003c');
  return `<script type="application/json" id="vocabulary">${data}</script>`;
}

function readAssets(directory: string): { script: string; style: string } {
  const assets = join(directory, 'assets');
  if (!existsSync(join(assets, 'console.js'))) {
    throw new Error(
      `The console bundle is missing (${assets}/console.js): run npm run build (or npm run build:console).`,
    );
  }
  return {
    script: readFileSync(join(assets, 'console.js'), 'utf8'),
    style: readFileSync(join(assets, 'console.css'), 'utf8'),
  };
}

export function dashboardPage(options: DashboardOptions = {}): DashboardPage {
  const directory = options.directory ?? __dirname;
  const auth = options.auth ?? 'functionKey';
  const key = `${directory}|${auth}`;
  const cached = pages.get(key);
  if (cached) return cached;
  const { script, style } = readAssets(directory);
  // A "</script>" inside the bundle would end the element early; esbuild escapes it, and this makes sure.
  const safeScript = script.replace(/<\/(script)/gi, '<\\/$1');
  const html = readFileSync(join(directory, 'index.html'), 'utf8')
    .replace('<!-- STYLE -->', () => `<style>${style}</style>`)
    .replace('<!-- SCRIPT -->', () => `${vocabulary(auth)}<script>${safeScript}</script>`);
  const page: DashboardPage = {
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
        `script-src ${sha256(safeScript)}`,
        `style-src ${sha256(style)}`,
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
    },
  };
  pages.set(key, page);
  return page;
}
