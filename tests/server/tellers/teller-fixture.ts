import type { RawClient } from '../../helpers/raw-client.js';
import type { TestBank } from '../../helpers/test-bank.js';
import type { TestTerminal } from '../../helpers/test-terminal.js';
import { operator } from '../integration/login-kit.js';
import { at, PASSWORD } from '../terminals/terminal-fixture.js';

export { codeOf, register, resultOf } from '../terminals/terminal-fixture.js';
export { PASSWORD };

/** `bank-server accounts create` for a teller, as the README says (with a cheap bcrypt cost). */
export function createTellerArgs(user: string, password: string): string[] {
  return ['accounts', 'create', user, '--role', 'teller', '--password', password, '--bcrypt-cost', '4'];
}

/** A teller account made by an operator, as the README says. */
export async function createTeller(bank: TestBank, user: string): Promise<void> {
  const out = await operator(bank, ...createTellerArgs(user, PASSWORD));
  if (!out.some((line) => line.includes(user))) throw new Error(`create teller ${user}: ${out.join(' ')}`);
}

/** A teller logged in at an enrolled terminal (the bank's ATM-TEST-1 unless given). */
export function tellerAt(
  bank: TestBank,
  teller: string,
  terminal: Pick<TestTerminal, 'cert' | 'key'> = bank.terminal,
): Promise<RawClient> {
  return at(bank, teller, terminal);
}

/** `serve` with the customer's (right) password unless another is given. */
export function serve(desk: RawClient, user: string, password = PASSWORD): Promise<Record<string, unknown>> {
  return desk.call({ op: 'serve', user, password });
}
