import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, peerFixture } from '../client/peer-fixture.js';
import { runCli } from './cli-harness.js';

const fixture = peerFixture();
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atm-script-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function scriptFile(name: string, source: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, source);
  return path;
}

function envFor(peer: { port: number; pki: { caPem: string } }, extra: Record<string, string> = {}) {
  return { ATM_PORT: String(peer.port), ATM_CA: peer.pki.caPem, ...extra };
}

const EXAMPLE = new URL('../../../atm-client/examples/smoke.atm', import.meta.url).pathname;

describe('atm script', () => {
  it('runs the shipped example against a fresh bank, twice (a new RUN_ID each time), exit 0', async () => {
    const peer = await fixture.start();
    for (const _round of [1, 2]) {
      const run = await runCli(['script', EXAMPLE], envFor(peer));
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines.at(-1)).toMatch(/^\d+ passed, 0 failed$/);
      expect(lines.slice(0, -1).every((line) => /^(PASS|DONE) line \d+: /.test(line))).toBe(true);
    }
    const users = peer.hellos.filter((h) => h.auth.method === 'register').map((h) => h.auth.user);
    expect(new Set(users).size).toBe(4);
  });

  it('`connect` really connects: it passes against the bank and fails when nothing listens', async () => {
    const peer = await fixture.start();
    const path = await scriptFile(
      'connect.atm',
      ['connect', 'connect 127.0.0.1 1', 'connect 127.0.0.1 $PORT'].join('\n'),
    );
    const run = await runCli(['script', path], envFor(peer, { PORT: String(peer.port) }));
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('PASS line 1: connect -> connected');
    expect(lines[1]).toMatch(/^FAIL line 2: connect 127\.0\.0\.1 1 -> error CONNECT_FAILED: /);
    expect(lines[2]).toBe(`PASS line 3: connect 127.0.0.1 ${peer.port} -> connected`);
    expect(lines.at(-1)).toBe('2 passed, 1 failed');
  });

  it('prints PASS/FAIL per step and the summary alone on its line, and exits 1 on a failure', async () => {
    const peer = await fixture.start();
    const path = await scriptFile(
      'mixed.atm',
      [
        'login alice $ATM_PASSWORD',
        'deposit 100.00',
        'expect balance 200.00',
        'withdraw 1000000',
        'expect error INSUFFICIENT_FUNDS',
        'expect balance 999',
      ].join('\n'),
    );
    const run = await runCli(['script', path], envFor(peer, { ATM_PASSWORD: PASSWORD }));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      [
        'PASS line 1: login alice **** -> logged in as alice',
        'PASS line 2: deposit 100.00 -> balance 200.00, tx T000000000001',
        'PASS line 3: expect balance 200.00',
        'DONE line 4: withdraw 1000000 -> error INSUFFICIENT_FUNDS: balance too low',
        'PASS line 5: expect error INSUFFICIENT_FUNDS',
        'FAIL line 6: expect balance 999.00 -> expected balance 999.00, got 200.00',
        '4 passed, 1 failed',
        '',
      ].join('\n'),
    );
    expect(run.stdout).not.toContain(PASSWORD);
  });

  it('offers --user/--password to the script as $ATM_USER/$ATM_PASSWORD', async () => {
    const peer = await fixture.start();
    const path = await scriptFile('flags.atm', 'login $ATM_USER $ATM_PASSWORD\nexpect ok\n');
    const run = await runCli(['script', path, '--user', 'bob', '--password', PASSWORD], envFor(peer));
    expect(run.stdout).toBe(
      'DONE line 1: login bob **** -> logged in as bob\nPASS line 2: expect ok\n1 passed, 0 failed\n',
    );
    expect(run.code).toBe(0);
  });

  it('names file:line for a syntax error, exits 2 and runs nothing', async () => {
    const peer = await fixture.start();
    const path = await scriptFile('broken.atm', 'login alice x\n\ndeposit 1.234\nfly\n');
    const run = await runCli(['script', path], envFor(peer));
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: ${path}:3: at most 2 decimals: "1.234" (usage: deposit <amount>) (and 1 more syntax error)\n`,
    });
    expect(peer.connectionCount()).toBe(0);
  });

  it('names an unset variable as a syntax error', async () => {
    const path = await scriptFile('unset.atm', '# uses a variable nobody set\nlogin alice $NOT_SET_ANYWHERE\n');
    const run = await runCli(['script', path], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`error: ${path}:2: variable $NOT_SET_ANYWHERE is not set\n`);
  });

  it('reports a missing file in one line, exit 2', async () => {
    const run = await runCli(['script', join(dir, 'nope.atm')], {});
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: cannot read script ${join(dir, 'nope.atm')} (ENOENT)\n`,
    });
  });

  it('fails steps, not the program, when the bank cannot be reached', async () => {
    const peer = await fixture.start();
    const path = await scriptFile('down.atm', 'login alice pw\nbalance\n');
    const run = await runCli(['script', path], envFor(peer, { ATM_CA: peer.pki.otherCaPem }));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^FAIL line 1: login alice \*\*\*\* -> error TLS_ERROR: .+\nFAIL line 2: balance -> error SESSION_CLOSED: not logged in\n0 passed, 2 failed\n$/,
    );
  });
});
