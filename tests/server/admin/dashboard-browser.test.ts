import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../../helpers/raw-client.js';
import { type SpawnedServer, spawnBankServer } from '../../helpers/spawn-server.js';

/** Where the screenshot goes: a temp file unless DASHBOARD_SCREENSHOT names one. */
const SCREENSHOT = process.env.DASHBOARD_SCREENSHOT ?? join(tmpdir(), 'secure-atm-dashboard.png');

/** Debian's chromium; the test fails (never skips) without it: .ci/run installs it. */
function chromiumPath(): string {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const path = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (path) return path;
    } catch {
      // not this one
    }
  }
  throw new Error('chromium is not installed: the dashboard test needs it (apt-get install -y chromium)');
}

describe('the dashboard page in a real headless Chromium', () => {
  let server: SpawnedServer;
  let browser: Browser;
  let profile: string;
  let client: RawClient;
  beforeAll(async () => {
    const executablePath = chromiumPath();
    server = await spawnBankServer(['--allow-registration', '--fraud-large-amount', '1000000']);
    profile = await mkdtemp(join(tmpdir(), 'secure-atm-chromium-'));
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      userDataDir: profile,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    client = await RawClient.login({
      port: server.port,
      ca: await readFile(server.caPath, 'utf8'),
      // Cash moves only at an enrolled terminal: the spawned bank enrolled one for tests.
      cert: server.terminal.cert,
      key: server.terminal.key,
      user: 'dashboard',
      password: 'Correct-Horse-42!',
      method: 'register',
    });
    // A balance of 1,834,567 cents (which the page must not show) and one large-amount alert.
    await client.call({ op: 'deposit', amountCents: 600_000 });
    await client.call({ op: 'deposit', amountCents: 1_234_567 });
  });
  afterAll(async () => {
    client?.destroy();
    await browser?.close();
    await server?.stop('SIGKILL');
    if (profile) await rm(profile, { recursive: true, force: true });
    if (server) await rm(server.dataDir, { recursive: true, force: true });
  });

  it('loads under a strict CSP with no console errors, fills its charts, and writes a screenshot', async () => {
    let loading = true;
    // Balances and small deposits: requests and group commits in every second the page watches.
    const load = (async () => {
      for (let n = 0; loading; n++) {
        const reply = await client.call(n % 2 === 0 ? { op: 'balance' } : { op: 'deposit', amountCents: 1 });
        if (reply.ok !== true) throw new Error(`load request failed: ${JSON.stringify(reply)}`);
      }
    })();
    const page = await browser.newPage();
    const problems: string[] = [];
    try {
      await page.setViewport({ width: 1280, height: 900 });
      page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
      });
      page.on('pageerror', (err) => problems.push(`page: ${String(err)}`));
      page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
      const origin = `http://127.0.0.1:${server.adminPort}`;
      const response = await page.goto(`${origin}/`, { waitUntil: 'load' });
      if (!response) throw new Error('no response for the dashboard page');
      const headers = response.headers();
      expect(response.status()).toBe(200);
      expect(headers['cache-control']).toBe('no-store');
      const csp = headers['content-security-policy'] ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('unsafe');

      // Within 3 s of loading, every chart has drawn data from /status.
      await page.waitForFunction(
        `[...document.querySelectorAll('svg[data-samples]')].length === 4 &&
         [...document.querySelectorAll('svg[data-samples]')].every((s) => Number(s.dataset.samples) > 0)`,
        { timeout: 3_000 },
      );
      await page.waitForFunction(`Number(document.getElementById('reqs').textContent) > 0`, { timeout: 3_000 });
    } finally {
      loading = false;
      await load;
    }

    const text = (await page.evaluate('document.body.innerText')) as string;
    expect(text).toContain('LARGE_AMOUNT');
    expect(text).toContain('dashboard');
    // The spawned bank's test terminal, with its cash (the bank's money, not a balance).
    expect(text).toContain(server.terminal.id);
    // The customer's balance (18,345.67) appears nowhere as such; the terminal holds it plus its float.
    expect(text).not.toMatch(/(?<![0-9,])18,345\.67/);
    expect(text).not.toMatch(/(?<![0-9])1834567(?![0-9])/);
    const lineCount = await page.evaluate(`document.querySelectorAll('svg polyline').length`);
    expect(lineCount).toBe(4);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('serves only its own modules and keeps /status uncached', async () => {
    const origin = `http://127.0.0.1:${server.adminPort}`;
    const script = await fetch(`${origin}/assets/dashboard-script.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(script.headers.get('cache-control')).toBe('no-store');
    for (const path of ['/assets/run-top.js', '/assets/../admin/admin-http.js', '/assets/%2e%2e%2fcli%2fmain.js']) {
      expect((await fetch(`${origin}${path}`)).status).toBe(404);
    }
    expect((await fetch(`${origin}/status`)).headers.get('cache-control')).toBe('no-store');
  });
});
