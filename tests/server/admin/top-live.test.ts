import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertTmuxInstalled, shellQuote, TmuxTerminal } from '../../e2e/tmux-terminal.js';
import { BIN, REPO_ROOT, type SpawnedServer, spawnBankServer } from '../../helpers/spawn-server.js';

describe('bank-server top in a real terminal', () => {
  let server: SpawnedServer;
  let terminal: TmuxTerminal | null = null;
  beforeAll(async () => {
    await assertTmuxInstalled();
    server = await spawnBankServer();
  });
  afterAll(async () => {
    await terminal?.kill();
    await server?.stop('SIGKILL');
    if (server) await rm(server.dataDir, { recursive: true, force: true });
  });

  it('draws the live screen in 80x24 and quits on q', async () => {
    const command = [process.execPath, BIN.bankServer, 'top', '--admin-port', String(server.adminPort)]
      .map(shellQuote)
      .join(' ');
    terminal = await TmuxTerminal.start({
      command: `${command}; echo "top exited $?"; sleep 60`,
      cwd: REPO_ROOT,
      env: { ...process.env, CI: '' },
      cols: 80,
      rows: 24,
    });
    // The second poll gives the first rates: "req/s 0" rather than "req/s –".
    const screen = await terminal.waitFor(/req\/s 0 /);
    const lines = screen.split('\n');
    expect(lines[0]).toMatch(/^BANK TOP {2}http:\/\/127\.0\.0\.1:\d+ {2}serving/);
    expect(lines.some((l) => /^TERMINAL\s+STATUS\s+CASH\s+LAST SEEN/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^q quit/);
    await terminal.press('q');
    await terminal.waitFor('top exited 0');
  });
});
