import { beforeAll, describe, expect, it } from 'vitest';
import { createMemoryAudit } from '../../../audit/index.js';
import { buildBankServerProgram } from '../../../server/index.js';
import { until } from '../../helpers/operator-cli.js';
import { RawClient } from '../../helpers/raw-client.js';
import { suiteBank, type TestBank } from '../../helpers/test-bank.js';

const PASSWORD = 'Correct-Horse-42!';

async function operator(bank: TestBank, ...args: string[]): Promise<{ out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const program = buildBankServerProgram({ out: (l) => out.push(l), err: (l) => err.push(l), env: {} });
  await program.parseAsync(['node', 'bank-server', ...args, '--data-dir', bank.dataDir]);
  return { out, err };
}

describe('operator commands against a running server', () => {
  const audit = createMemoryAudit();
  const bank = suiteBank({}, { audit });
  beforeAll(async () => {
    const c = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    await c.hello({ user: 'olivia', password: PASSWORD, method: 'register' });
    c.destroy();
  });

  it('lock takes effect at the next login, unlock lifts it, and both reach the audit log', async () => {
    await operator(bank, 'accounts', 'lock', 'olivia');
    const locked = await RawClient.connect({ port: bank.port, ca: bank.caCert });
    expect(await locked.hello({ user: 'olivia', password: PASSWORD })).toMatchObject({ code: 'ACCOUNT_LOCKED' });

    await operator(bank, 'accounts', 'unlock', 'olivia');
    const open = await RawClient.login({ port: bank.port, ca: bank.caCert, user: 'olivia', password: PASSWORD });
    open.destroy();

    const actions = () =>
      audit.events.filter((e) => e.kind === 'operator_action').map((e) => (e.detail as { action?: string }).action);
    await until(() => actions().includes('account_unlock'));
    expect(actions()).toEqual(expect.arrayContaining(['account_lock', 'account_unlock']));
  });

  it('accounts created by the operator can log in', async () => {
    const { out } = await operator(
      bank,
      'accounts',
      'create',
      'paul',
      '--password',
      'Operator-Made-77!',
      '--bcrypt-cost',
      '4',
    );
    expect(out.join('\n')).toMatch(/paul/);
    const c = await RawClient.login({ port: bank.port, ca: bank.caCert, user: 'paul', password: 'Operator-Made-77!' });
    expect(await c.call({ op: 'balance' })).toMatchObject({ ok: true, result: { balanceCents: 0 } });
    c.destroy();
  });
});
