import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { DASHBOARD_CSS, DASHBOARD_HTML, FAVICON_SVG } from './dashboard-page.js';

/**
 * Serves the dashboard: the page at `/`, its stylesheet, icon and the compiled browser modules
 * of server/console/ (a fixed list; nothing else on disk is reachable). Everything from the
 * package itself: no CDN, nothing fetched at run time.
 */

/** No inline script or style, nothing from elsewhere, no framing; the script may read only this origin. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The browser modules the page loads, as compiled next to this package's server/console/. */
const BROWSER_MODULES = new Set(['dashboard-script.js', 'figures-math.js', 'chart-geometry.js', 'top-history.js']);

// From dist the modules sit beside us; run from the TypeScript sources (tests), read the build's.
const MODULE_DIR = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/server/console/', import.meta.url)
  : new URL('../console/', import.meta.url);

const moduleCache = new Map<string, string>();

async function browserModule(name: string): Promise<string | null> {
  const cached = moduleCache.get(name);
  if (cached !== undefined) return cached;
  try {
    // The source map comment would send the browser's devtools after files we do not serve.
    const text = (await readFile(new URL(name, MODULE_DIR), 'utf8')).replace(/^\/\/# sourceMappingURL=.*$/m, '');
    moduleCache.set(name, text);
    return text;
  } catch {
    return null;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'content-security-policy': DASHBOARD_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
  });
  res.end(body);
}

/** Answer `path` if it is one of the dashboard's; false leaves it to the other routes. */
export async function serveDashboard(path: string, res: ServerResponse): Promise<boolean> {
  if (path === '/' || path === '/index.html') {
    send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML);
  } else if (path === '/dashboard.css') {
    send(res, 200, 'text/css; charset=utf-8', DASHBOARD_CSS);
  } else if (path === '/favicon.svg' || path === '/favicon.ico') {
    send(res, 200, 'image/svg+xml', FAVICON_SVG);
  } else if (path.startsWith('/assets/')) {
    const name = path.slice('/assets/'.length);
    const body = BROWSER_MODULES.has(name) ? await browserModule(name) : null;
    if (body === null) send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    else send(res, 200, 'text/javascript; charset=utf-8', body);
  } else {
    return false;
  }
  return true;
}
