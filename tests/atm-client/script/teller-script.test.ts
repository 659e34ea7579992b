import { describe, expect, it } from 'vitest';
import { parseScript, runScript } from '../../../atm-client/script/index.js';
import { FAKE_TOTP_CODE, FakeBank } from '../../helpers/fake-bank.js';

const TELLER = 'Teller-Pass-42!';
const CUSTOMER = 'Correct-Horse-9';

async function run(source: string, bank: FakeBank) {
  const parsed = parseScript(source);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const lines: string[] = [];
  const report = await runScript(parsed.script, { connectorFor: () => bank, write: (line) => lines.push(line) });
  return { report, lines };
}

function counter(): FakeBank {
  const bank = new FakeBank();
  bank.addAccount('tess', { password: TELLER, role: 'teller' });
  bank.addAccount('bob', { balanceCents: 500 });
  bank.addAccount('dora', { balanceCents: 2_000, totpCode: FAKE_TOTP_CODE });
  return bank;
}

describe('atm script at the counter', () => {
  it('serves two customers in one session, each op applying to the one served', async () => {
    const bank = counter();
    const { report, lines } = await run(
      [
        `login tess ${TELLER}`,
        'balance',
        'expect error NOT_SERVING',
        `serve bob ${CUSTOMER}`,
        'deposit 10',
        'expect balance 15',
        'release',
        'expect ok',
        `serve dora ${CUSTOMER} ${FAKE_TOTP_CODE}`,
        'withdraw 5',
        'expect balance 15',
        `open-account carol Brand-New-Pass-1!`,
        'expect ok',
        'logout',
      ].join('\n'),
      bank,
    );
    expect(lines).toEqual([
      'PASS line 1: login tess **** -> logged in as tess',
      'DONE line 2: balance -> error NOT_SERVING: fake NOT_SERVING',
      'PASS line 3: expect error NOT_SERVING',
      'PASS line 4: serve bob **** -> serving bob, balance 5.00',
      'PASS line 5: deposit 10 -> balance 15.00, tx T000000000003',
      'PASS line 6: expect balance 15.00',
      'DONE line 7: release -> ok',
      'PASS line 8: expect ok',
      'PASS line 9: serve dora **** **** -> serving dora, balance 20.00',
      'PASS line 10: withdraw 5 -> balance 15.00, tx T000000000004',
      'PASS line 11: expect balance 15.00',
      'DONE line 12: open-account carol **** -> account carol opened',
      'PASS line 13: expect ok',
      'PASS line 14: logout -> ok',
      '11 passed, 0 failed',
    ]);
    expect(report.failed).toBe(0);
    expect(bank.accounts.get('bob')?.balanceCents).toBe(1_500);
    expect(bank.accounts.get('dora')?.balanceCents).toBe(1_500);
    expect(bank.accounts.get('tess')?.balanceCents).toBe(0);
    expect(bank.accounts.get('carol')?.password).toBe('Brand-New-Pass-1!');
  });

  it('a wrong customer password is AUTH_FAILED and the third locks the customer', async () => {
    const bank = counter();
    const { lines } = await run(
      [
        `login tess ${TELLER}`,
        'serve bob wrong-1',
        'expect error AUTH_FAILED',
        'serve bob wrong-2',
        'expect error AUTH_FAILED',
        'serve bob wrong-3',
        'expect error ACCOUNT_LOCKED',
        'deposit 1',
        'expect error NOT_SERVING',
      ].join('\n'),
      bank,
    );
    expect(lines.at(-1)).toBe('5 passed, 0 failed');
  });

  it('serve lines mask both secrets and check the code', () => {
    expect(parseScript('serve bob pw 12345')).toMatchObject({ ok: false });
    const parsed = parseScript('serve bob pw 123456\nopen-account carol pw\nrelease');
    if (!parsed.ok) throw new Error('did not parse');
    expect(parsed.script.steps.map((step) => step.text)).toEqual([
      'serve bob **** ****',
      'open-account carol ****',
      'release',
    ]);
  });
});
