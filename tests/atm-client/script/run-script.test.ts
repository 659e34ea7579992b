import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { type BankConnector, createConnector } from '../../../atm-client/client/index.js';
import { type ConnectTarget, parseScript, runScript } from '../../../atm-client/script/index.js';
import { peerFixture } from '../client/peer-fixture.js';
import { FakeBankConnector } from './fake-bank-connector.js';

async function run(
  source: string,
  connector: BankConnector = new FakeBankConnector(),
  vars: Record<string, string> = {},
) {
  const parsed = parseScript(source, vars);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const lines: string[] = [];
  const targets: (ConnectTarget | null)[] = [];
  const report = await runScript(parsed.script, {
    connectorFor: (target) => {
      targets.push(target);
      return connector;
    },
    write: (line) => lines.push(line),
  });
  return { report, lines, targets, connector };
}

describe('runScript against a fake bank', () => {
  // A script, the lines it prints, and (where it matters) the report.
  for (const { name, script, printed, report: expected } of [
    {
      name: 'reports one line per step and the summary, and checks balances with a balance request',
      script: [
        'register alice Secret-Pass-123!',
        'deposit 100.00',
        'expect balance 100.00',
        'withdraw 30',
        'expect ok',
        'withdraw 1000000',
        'expect error INSUFFICIENT_FUNDS',
        'expect balance 70',
      ],
      printed: [
        'PASS line 1: register alice **** -> logged in as alice',
        'PASS line 2: deposit 100.00 -> balance 100.00, tx T000000000001',
        'PASS line 3: expect balance 100.00',
        'DONE line 4: withdraw 30 -> balance 70.00, tx T000000000002',
        'PASS line 5: expect ok',
        'DONE line 6: withdraw 1000000 -> error INSUFFICIENT_FUNDS: balance too low',
        'PASS line 7: expect error INSUFFICIENT_FUNDS',
        'PASS line 8: expect balance 70.00',
        '6 passed, 0 failed',
      ],
      report: { passed: 6, failed: 0 },
    },
    {
      name: 'fails what does not hold, says what it got, and goes on',
      script: [
        'register alice Secret-Pass-123!',
        'withdraw 5',
        'expect ok',
        'deposit 1',
        'expect error INSUFFICIENT_FUNDS',
        'expect balance 2',
        'transfer nobody 1',
        'history',
        'expect entries 3',
      ],
      printed: [
        'PASS line 1: register alice **** -> logged in as alice',
        'DONE line 2: withdraw 5 -> error INSUFFICIENT_FUNDS: balance too low',
        'FAIL line 3: expect ok -> expected ok, got error INSUFFICIENT_FUNDS: balance too low',
        'DONE line 4: deposit 1 -> balance 1.00, tx T000000000001',
        'FAIL line 5: expect error INSUFFICIENT_FUNDS -> expected error INSUFFICIENT_FUNDS, got ok',
        'FAIL line 6: expect balance 2.00 -> expected balance 2.00, got 1.00',
        'FAIL line 7: transfer nobody 1 -> error UNKNOWN_ACCOUNT: UNKNOWN_ACCOUNT',
        'PASS line 8: history -> 1 entry',
        'FAIL line 9: expect entries 3 -> expected 3 entries, got 1',
        '2 passed, 5 failed',
      ],
      report: { passed: 2, failed: 5 },
    },
    {
      name: 'fails requests made before logging in or after logout, with SESSION_CLOSED',
      script: [
        'balance',
        'expect error SESSION_CLOSED',
        'expect balance 0',
        'register bob Secret-Pass-123!',
        'logout',
        'ping',
      ],
      printed: [
        'DONE line 1: balance -> error SESSION_CLOSED: not logged in',
        'PASS line 2: expect error SESSION_CLOSED',
        'FAIL line 3: expect balance 0.00 -> expected balance 0.00, got error SESSION_CLOSED: not logged in',
        'PASS line 4: register bob **** -> logged in as bob',
        'PASS line 5: logout -> ok',
        'FAIL line 6: ping -> error SESSION_CLOSED: not logged in',
        '3 passed, 2 failed',
      ],
    },
  ]) {
    it(name, async () => {
      const { report, lines } = await run(script.join('\n'));
      expect(lines).toEqual(printed);
      if (expected) expect(report).toEqual(expected);
    });
  }

  it('runs every op, reverses the last withdrawal, and never prints a secret', async () => {
    const fake = new FakeBankConnector();
    fake.bank.addAccount('bob', 'Bob-Pass-12345!');
    const { report, lines } = await run(
      [
        'connect',
        'login bob Bob-Pass-12345!',
        'reverse last NOT_DISPENSED',
        'expect error UNKNOWN_TX',
        'deposit 50',
        'withdraw 20',
        'reverse last NOT_DISPENSED',
        'expect ok',
        'transfer alice 1',
        'expect error UNKNOWN_ACCOUNT',
        'history 10',
        'ping',
        'change-password Bob-Pass-12345! Bob-Pass-67890!',
        'update-contact email bob@example.com phone +15550100',
        'totp-enroll',
        'totp-confirm 123456',
        'expect balance 50',
        'logout',
        'login bob Bob-Pass-67890!',
      ].join('\n'),
      fake,
    );
    expect(report).toEqual({ passed: 16, failed: 0 });
    expect(fake.calls).toEqual([
      'password bob',
      'deposit',
      'withdraw',
      'reverse',
      'transfer',
      'history',
      'ping',
      'change_password',
      'update_contact',
      'totp_enroll',
      'totp_confirm',
      'balance',
      'logout',
      'password bob',
    ]);
    const output = lines.join('\n');
    for (const secret of ['Bob-Pass-12345!', 'Bob-Pass-67890!', '123456', 'JBSWY3DPEHPK3PXP']) {
      expect(output).not.toContain(secret);
    }
    expect(lines[2]).toBe('DONE line 3: reverse last NOT_DISPENSED -> error UNKNOWN_TX: no withdrawal to reverse yet');
    expect(lines[6]).toMatch(
      /^DONE line 7: reverse last NOT_DISPENSED -> balance 50\.00, tx T\d+ reverses T000000000002$/,
    );
  });

  it('passes `connect <host> <port>` to the connector factory', async () => {
    const { targets } = await run('connect\nconnect bank.example 9000\nping');
    expect(targets).toEqual([null, { host: 'bank.example', port: 9000 }]);
  });
});

describe('runScript over TLS against the scripted peer', () => {
  const fixture = peerFixture();

  it('runs the shipped example to the end with no failures', async () => {
    const peer = await fixture.start();
    const source = await readFile(new URL('../../../atm-client/examples/smoke.atm', import.meta.url), 'utf8');
    const { report, lines } = await run(source, createConnector(fixture.options(peer)), { RUN_ID: 'r1' });
    expect(lines.at(-1)).toBe(`${report.passed} passed, 0 failed`);
    expect(report.failed).toBe(0);
    expect(report.passed).toBeGreaterThan(10);
    expect(peer.hellos.map((h) => `${h.auth.method} ${h.auth.user}`)).toEqual([
      'register payee_r1',
      'register smoke_r1',
      'password smoke_r1',
    ]);
  });
});
