import { describe, expect, it } from 'vitest';
import { suiteBank } from '../../helpers/test-bank.js';
import { runCli } from './cli-harness.js';

const EXAMPLE = new URL('../../../atm-client/examples/smoke.atm', import.meta.url).pathname;

// The shipped example against a real bank: it passes at an enrolled terminal, and a remote session
// (no terminal certificate) cannot deposit.
describe('atm script against a real bank', () => {
  const bank = suiteBank();

  it('passes at an enrolled terminal (ATM_TERMINAL_CERT/KEY)', async () => {
    const run = await runCli(['script', EXAMPLE], {
      ATM_PORT: String(bank.port),
      ATM_CA: bank.caCert,
      ATM_TERMINAL_CERT: bank.terminal.certPath,
      ATM_TERMINAL_KEY: bank.terminal.keyPath,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(/^\d+ passed, 0 failed$/);
    expect(run.code).toBe(0);
  });

  it('fails with TERMINAL_REQUIRED as a remote session', async () => {
    const run = await runCli(['script', EXAMPLE], { ATM_PORT: String(bank.port), ATM_CA: bank.caCert });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL line \d+: deposit 100\.00.*TERMINAL_REQUIRED/);
  });
});
