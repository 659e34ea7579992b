import { describe, expect, it } from 'vitest';
import { PASSWORD, peerFixture } from '../client/peer-fixture.js';
import { peerEnv, runCli, terminalFiles } from './cli-harness.js';

const fixture = peerFixture();

const envFor = (peer: { port: number; pki: { caPem: string } }, extra: Record<string, string> = {}) =>
  peerEnv(peer, PASSWORD, extra);

describe('atm exec', () => {
  it('prints the balance as a readable line, or as JSON with --json', async () => {
    const peer = await fixture.start();
    const env = envFor(peer);
    expect(await runCli(['exec', 'balance'], env)).toEqual({ code: 0, stdout: 'balance 100.00 EUR\n', stderr: '' });
    const json = await runCli(['exec', 'balance', '--json'], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      balanceCents: 10_000,
      currency: 'EUR',
      dailyWithdrawalRemainingCents: 200_000,
      maxAmountCents: 100_000_000,
      twoFactor: false,
    });
    // --json may also come before the op.
    expect(JSON.parse((await runCli(['exec', '--json', 'balance'], env)).stdout)).toEqual({
      balanceCents: 10_000,
      currency: 'EUR',
      dailyWithdrawalRemainingCents: 200_000,
      maxAmountCents: 100_000_000,
      twoFactor: false,
    });
  });

  it('converts decimal amounts to cents on the wire and logs out afterwards', async () => {
    const peer = await fixture.start();
    const run = await runCli(['exec', 'deposit', '20.5'], envFor(peer));
    expect(run).toEqual({ code: 0, stdout: 'deposited 20.50; balance 120.50 (tx T000000000001)\n', stderr: '' });
    expect(peer.requests.map((r) => r.request)).toEqual([
      { id: expect.any(String), op: 'deposit', amountCents: 2_050 },
      { id: expect.any(String), op: 'logout' },
    ]);
  });

  it('takes the connection and credentials from flags over the environment', async () => {
    const peer = await fixture.start();
    const atm = await terminalFiles('ATM-7');
    const run = await runCli(
      [
        'exec',
        'withdraw',
        '1',
        '--host',
        'localhost',
        '--port',
        String(peer.port),
        '--ca',
        peer.pki.caPem,
        '--user',
        'bob',
        '--password',
        PASSWORD,
        '--terminal-cert',
        atm.certPath,
        '--terminal-key',
        atm.keyPath,
      ],
      {
        ATM_PORT: '1',
        ATM_USER: 'alice',
        ATM_PASSWORD: 'wrong',
        ATM_CA: 'nope',
        ATM_TERMINAL_CERT: 'nope.crt',
        ATM_TERMINAL_KEY: 'nope.key',
      },
    );
    expect(run.stderr).toBe('error INSUFFICIENT_FUNDS: balance too low\n');
    expect(run.code).toBe(1);
    // The terminal id in hello is the certificate's CN; there is no --terminal option.
    expect(peer.hellos[0]).toMatchObject({ terminal: 'ATM-7', auth: { user: 'bob' } });
    expect((await runCli(['exec', 'balance', '--terminal', 'ATM-7'])).stderr).toMatch(/unknown option '--terminal'/);
  });

  it('exits 1 with `error CODE: message` on stderr when the bank refuses', async () => {
    const peer = await fixture.start();
    const run = await runCli(['exec', 'withdraw', '1000000'], envFor(peer));
    expect(run).toEqual({ code: 1, stdout: '', stderr: 'error INSUFFICIENT_FUNDS: balance too low\n' });
    const login = await runCli(['exec', 'balance'], envFor(peer, { ATM_PASSWORD: 'wrong' }));
    expect(login).toEqual({ code: 1, stdout: '', stderr: 'error AUTH_FAILED: AUTH_FAILED\n' });
    const json = await runCli(['exec', 'withdraw', '1000000', '--json'], envFor(peer));
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'INSUFFICIENT_FUNDS', message: 'balance too low' } });
  });

  it('uses --id as the request id, and a repeat is replayed', async () => {
    const peer = await fixture.start();
    const env = envFor(peer);
    await runCli(['exec', 'deposit', '1', '--id', 'dep-once'], env);
    const again = await runCli(['exec', 'deposit', '1', '--id', 'dep-once'], env);
    expect(again.stdout).toBe(
      'deposited 1.00; balance 101.00 (tx T000000000001) (replayed: this id was already applied)\n',
    );
    expect(peer.requests.filter((r) => r.request.op === 'deposit').map((r) => r.request.id)).toEqual([
      'dep-once',
      'dep-once',
    ]);
  });

  it('sends every op with the right shape', async () => {
    const peer = await fixture.start();
    const env = envFor(peer, { ATM_NEW_PASSWORD: 'Next-Password-1!' });
    const runs = [
      ['exec', 'transfer', 'bob', '2.25'],
      ['exec', 'withdraw', '3'],
      ['exec', 'history', '--limit', '2', '--before', 'T000000000009'],
      ['exec', 'ping'],
      ['exec', 'update-contact', '--email', 'a@b.example', '--phone', '+15550100'],
      ['exec', 'totp-enroll'],
      ['exec', 'totp-confirm', '123456'],
      ['exec', 'change-password'],
    ];
    for (const argv of runs) {
      const run = await runCli(argv, env);
      expect(run.code, `${argv.join(' ')}: ${run.stderr}`).toBe(0);
    }
    const reverse = await runCli(['exec', 'reverse', 'T000000000002', 'NOT_DISPENSED'], {
      ...env,
      ATM_PASSWORD: 'Next-Password-1!',
    });
    expect(reverse.stdout).toBe('reversed T000000000002; balance 97.75 (tx T000000000003)\n');
    const sent = peer.requests.map(({ request: { id: _id, ...rest } }) => rest).filter((r) => r.op !== 'logout');
    expect(sent).toEqual([
      { op: 'transfer', amountCents: 225, to: 'bob' },
      { op: 'withdraw', amountCents: 300 },
      { op: 'history', limit: 2, before: 'T000000000009' },
      { op: 'ping' },
      { op: 'update_contact', email: 'a@b.example', phone: '+15550100' },
      { op: 'totp_enroll', password: PASSWORD },
      { op: 'totp_confirm', code: '123456' },
      { op: 'change_password', current: PASSWORD, new: 'Next-Password-1!' },
      { op: 'reverse', txId: 'T000000000002', reason: 'NOT_DISPENSED' },
    ]);
  });

  it('--json says what happened for ops whose result is empty', async () => {
    const peer = await fixture.start();
    const env = envFor(peer, { ATM_NEW_PASSWORD: 'Next-Password-1!' });
    const confirmed = await runCli(['exec', 'totp-confirm', '123456', '--json'], env);
    expect(confirmed.code, confirmed.stderr).toBe(0);
    expect(JSON.parse(confirmed.stdout)).toEqual({ twoFactor: true });
    const contact = await runCli(['exec', 'update-contact', '--phone', '+15550100', '--json'], env);
    expect(JSON.parse(contact.stdout)).toEqual({ contactUpdated: true, phone: '+15550100' });
    const changed = await runCli(['exec', 'change-password', '--json'], env);
    expect(changed.code, changed.stderr).toBe(0);
    expect(JSON.parse(changed.stdout)).toEqual({ passwordChanged: true });
  });

  it('prints history newest first with signed amounts', async () => {
    const peer = await fixture.start();
    const env = envFor(peer);
    await runCli(['exec', 'deposit', '5'], env);
    await runCli(['exec', 'withdraw', '2.5'], env);
    const run = await runCli(['exec', 'history'], env);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/T000000000002 {2}withdrawal\s+-2\.50 {2}balance 102\.50$/);
    expect(lines[1]).toMatch(/T000000000001 {2}deposit\s+\+5\.00 {2}balance 105\.00$/);
  });

  it('registers an account', async () => {
    const peer = await fixture.start();
    const run = await runCli(['exec', 'register'], envFor(peer, { ATM_USER: 'dave', ATM_PASSWORD: 'Dave-Pass-1234!' }));
    expect(run).toEqual({ code: 0, stdout: 'registered dave\n', stderr: '' });
    expect(peer.bank.accounts.has('dave')).toBe(true);
  });

  it('refuses a certificate from another CA with TLS_ERROR, and warns loudly when told to skip the check', async () => {
    const peer = await fixture.start();
    const bad = await runCli(['exec', 'balance'], envFor(peer, { ATM_CA: peer.pki.otherCaPem }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error TLS_ERROR: .+\n$/);
    const skipped = await runCli(
      ['exec', 'balance', '--insecure-skip-certificate-verification'],
      envFor(peer, { ATM_CA: peer.pki.otherCaPem }),
    );
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toMatch(/^WARNING: --insecure-skip-certificate-verification: .*NOT checked.*\n$/);
  });
});

describe('atm exec usage mistakes: one line, exit 2, nothing sent', () => {
  it.each<[string[], RegExp]>([
    [['exec', 'deposit', '1.234'], /^error: at most 2 decimals: "1\.234"\n$/],
    [['exec', 'deposit', '-5'], /^error: amount must not be negative: "-5"\n$/],
    [['exec', 'deposit', 'ten'], /^error: not an amount: "ten"/],
    [['exec', 'withdraw', '0'], /^error: amount must be at least 0\.01\n$/],
    [['exec', 'deposit'], /^error: missing required argument 'amount'\n$/],
    [['exec', 'reverse', 'T000000000001', 'BECAUSE'], /^error: reason must be one of NOT_DISPENSED/],
    [['exec', 'history', '--limit', '500'], /^error: --limit must be 1-100, not 500\n$/],
    [['exec', 'update-contact'], /^error: update-contact needs --email and\/or --phone\n$/],
    [['exec', 'balance', '--port', 'http'], /^error: port must be 1-65535, not http\n$/],
    [['exec', 'fly'], /^error: unknown command 'fly'/],
    [['exec', 'balance', '--colour'], /^error: unknown option '--colour'/],
    [['exec', 'balance', '--totp', '12345'], /^error: --totp \(or ATM_TOTP\) must be 6 digits, not "12345"\n$/],
    [['exec', 'totp-confirm', 'abc'], /^error: the code must be 6 digits, not "abc"\n$/],
    [['exec', 'totp-disable', '1234567'], /^error: the code must be 6 digits, not "1234567"\n$/],
  ])('%j', async (argv, stderr) => {
    const peer = await fixture.start();
    const run = await runCli(argv, {
      ATM_PORT: String(peer.port),
      ATM_CA: peer.pki.caPem,
      ATM_USER: 'alice',
      ATM_PASSWORD: PASSWORD,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(stderr);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(peer.connectionCount()).toBe(0);
  });

  it('asks for credentials when none are given', async () => {
    expect(await runCli(['exec', 'balance'], {})).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: no user: pass --user or set ATM_USER\n',
    });
    expect((await runCli(['exec', 'balance'], { ATM_USER: 'alice' })).stderr).toBe(
      'error: no password: set ATM_PASSWORD or pass --password\n',
    );
  });
});
