import { describe, expect, it, vi } from 'vitest';
import type { RunAtmUi } from '../../../atm-client/cli/atm-io.js';
import { buildAtmProgram } from '../../../atm-client/cli/program.js';
import { PASSWORD, peerFixture } from '../client/peer-fixture.js';
import { runCli, terminalFiles } from './cli-harness.js';

const fixture = peerFixture();

describe('atm program', () => {
  it('has real help for every command, exit 0', async () => {
    for (const argv of [['--help'], ['exec', '--help'], ['exec', 'transfer', '--help'], ['script', '--help']]) {
      const run = await runCli(argv);
      expect(run.code, argv.join(' ')).toBe(0);
      expect(run.stdout).toMatch(/^Usage: atm/);
      expect(run.stdout).toContain('--insecure-skip-certificate-verification');
      expect(run.stdout).toContain('--host');
    }
    expect((await runCli(['script', '--help'])).stdout).toContain('expect ok | expect error <CODE>');
    expect((await runCli(['--help'])).stdout).toContain('--simulate-dispense-failure');
  });

  it('bench has real help, and a bad option is one stderr line and exit 2 without starting servers', async () => {
    const help = await runCli(['bench', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: atm bench/);
    expect(help.stdout).toContain('--connections');
    const bad = await runCli(['bench', '--connections', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('opens the ATM screens with a connector built from the connection options', async () => {
    const peer = await fixture.start();
    const atm = await terminalFiles('ATM-9');
    const runUi = vi.fn<RunAtmUi>(async ({ connector }) => {
      const session = await connector.login({ user: 'alice', password: PASSWORD });
      if (session.ok) session.value.close();
    });
    const run = await runCli(
      ['--port', String(peer.port), '--simulate-dispense-failure'],
      { ATM_CA: peer.pki.caPem, ATM_TERMINAL_CERT: atm.certPath, ATM_TERMINAL_KEY: atm.keyPath },
      { runUi },
    );
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(runUi).toHaveBeenCalledTimes(1);
    expect(runUi.mock.calls[0]?.[0]).toMatchObject({ terminal: 'ATM-9', simulateDispenseFailure: true });
    // The connector really points at --port with the CA from ATM_CA.
    expect(peer.hellos).toHaveLength(1);
    expect(peer.hellos[0]?.terminal).toBe('ATM-9');
  });

  it('leaves the dispenser working unless told otherwise', async () => {
    const runUi = vi.fn<RunAtmUi>(async () => {});
    await runCli([], {}, { runUi });
    expect(runUi.mock.calls[0]?.[0]).not.toHaveProperty('simulateDispenseFailure');
    expect(runUi.mock.calls[0]?.[0]).not.toHaveProperty('terminal');
  });

  it('turns a coded refusal from the screens into one line, exit 2', async () => {
    const refusal = Object.assign(new Error('the ATM needs an interactive terminal'), { code: 'NOT_A_TERMINAL' });
    const run = await runCli([], {}, { runUi: async () => Promise.reject(refusal) });
    expect(run).toEqual({ code: 2, stdout: '', stderr: 'error: the ATM needs an interactive terminal\n' });
  });

  it('reports an unexpected failure in one line without a stack trace', async () => {
    const run = await runCli([], {}, { runUi: async () => Promise.reject(new TypeError('boom')) });
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'error: internal: boom\n' });
  });

  it('reports unknown options and commands as usage errors (exit 2)', async () => {
    const run = await runCli(['--nope']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("error: unknown option '--nope'\n");
  });

  it('exports buildAtmProgram with commander exitOverride (never exits the process)', async () => {
    const out: string[] = [];
    const program = buildAtmProgram({
      stdout: (t) => out.push(t),
      stderr: (t) => out.push(t),
      env: {},
      readTextFile: async () => '',
    });
    await expect(program.parseAsync(['--help'], { from: 'user' })).rejects.toMatchObject({ exitCode: 0 });
    expect(program.commands.map((c) => c.name())).toEqual(['exec', 'script', 'bench']);
  });
});
