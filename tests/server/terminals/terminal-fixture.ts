import { RawClient } from '../../helpers/raw-client.js';
import { type TestBank, withLedger } from '../../helpers/test-bank.js';
import type { TestTerminal } from '../../helpers/test-terminal.js';

export const PASSWORD = 'Correct-Horse-42!';

/** Open an account (remote session) and close the connection. */
export async function register(bank: TestBank, user: string): Promise<void> {
  const client = await RawClient.connect({ port: bank.port, ca: bank.caCert });
  const reply = await client.hello({ user, password: PASSWORD, method: 'register' });
  client.destroy();
  if (reply.kind !== 'welcome') throw new Error(`register ${user}: ${reply.code}`);
}

/** A session from a laptop: no client certificate. */
export function remote(bank: TestBank, user: string): Promise<RawClient> {
  return RawClient.login({ port: bank.port, ca: bank.caCert, user, password: PASSWORD });
}

/** A session at an enrolled terminal (the bank's own ATM-TEST-1 unless given). */
export function at(
  bank: TestBank,
  user: string,
  terminal: Pick<TestTerminal, 'cert' | 'key'> = bank.terminal,
): Promise<RawClient> {
  return RawClient.login({
    port: bank.port,
    ca: bank.caCert,
    cert: terminal.cert,
    key: terminal.key,
    user,
    password: PASSWORD,
  });
}

export function codeOf(response: Record<string, unknown> | null): string | null {
  if (!response) return null;
  if (response.ok === true) return 'OK';
  return ((response.error as { code?: string } | undefined)?.code ?? null) as string | null;
}

export function resultOf(response: Record<string, unknown> | null): Record<string, unknown> {
  if (response?.ok !== true) throw new Error(`expected success, got ${JSON.stringify(response)}`);
  return response.result as Record<string, unknown>;
}

/** Everything a refused cash request must leave as it was. */
export function ledgerState(bank: TestBank, user: string) {
  return withLedger(bank, (store) => {
    const account = store.findAccount(user);
    if (!account) throw new Error(`no ${user}`);
    const entries = store.database.prepare('SELECT COUNT(*) FROM entries').pluck().get() as number;
    return {
      balanceCents: store.balance(account.id),
      withdrawnToday: store.withdrawnOn(account.id, new Date().toISOString().slice(0, 10)),
      entries,
      verify: store.verify().ok,
    };
  });
}
