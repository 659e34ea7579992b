import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, type TestBank } from '../../helpers/test-bank.js';
import { createTeller, PASSWORD } from '../../server/tellers/teller-fixture.js';
import { runCli } from './cli-harness.js';

// Counter work as an `atm script` against a real bank: one teller session opens an account,
// serves the new customer, moves cash for them and finishes.
describe('atm script at the counter, against a real bank', () => {
  let bank: TestBank;
  let dir = '';
  beforeAll(async () => {
    bank = await startTestBank();
    await createTeller(bank, 'tess');
    dir = await mkdtemp(join(tmpdir(), 'atm-counter-script-'));
  });
  afterAll(async () => {
    await bank.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('open-account, serve, deposit, release: every step as §5.2 says', async () => {
    const file = join(dir, 'counter.atm');
    await writeFile(
      file,
      [
        'login tess $ATM_PASSWORD',
        'balance',
        'expect error NOT_SERVING',
        'open-account cora "Brand-New-Pass-1!"',
        'expect ok',
        'serve cora wrong-password',
        'expect error AUTH_FAILED',
        'serve cora "Brand-New-Pass-1!"',
        'deposit 10',
        'expect balance 10',
        'release',
        'deposit 10',
        'expect error NOT_SERVING',
        'logout',
      ].join('\n'),
    );
    const run = await runCli(['script', file], {
      ATM_PORT: String(bank.port),
      ATM_CA: bank.caCert,
      ATM_TERMINAL_CERT: bank.terminal.certPath,
      ATM_TERMINAL_KEY: bank.terminal.keyPath,
      ATM_PASSWORD: PASSWORD,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('PASS line 8: serve cora **** -> serving cora, balance 0.00');
    expect(run.stdout).not.toContain('Brand-New-Pass-1!');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('10 passed, 0 failed');
    expect(run.code).toBe(0);
  });
});
