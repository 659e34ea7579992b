import type { Command } from 'commander';
import { type AccountRole, type LedgerStore, setRole, type TellerTotals, tellerTotals } from '../../ledger/index.js';
import { CliError } from '../io.js';
import {
  type DataDirOptions,
  type LedgerCommandDeps,
  recordOperatorAction,
  withCommonOptions,
  withStore,
} from './operator-command.js';

/**
 * Roles for `bank-server accounts` (protocol/README.md §5.2): `customer` (the default) or `teller`.
 * A role change is an operator action, audited like a lock; a session the account has open ends
 * (the sweep sees the role change), so a teller made customer cannot keep serving.
 */

export const ROLE_NAMES: readonly AccountRole[] = ['customer', 'teller'];

/** `--role` and the role argument: one of {@link ROLE_NAMES}, else a clear error. */
export function parseRole(value: string): AccountRole {
  if ((ROLE_NAMES as readonly string[]).includes(value)) return value as AccountRole;
  throw new CliError('INVALID_ROLE', `"${value.slice(0, 20)}" is not a role (customer or teller)`);
}

/** All the cash a teller moved at the counter, for `accounts show`. */
export function tellerTotalsOf(store: LedgerStore, accountId: number): Omit<TellerTotals, 'teller'> {
  const [totals] = tellerTotals(store, 0, Number.MAX_SAFE_INTEGER, accountId);
  return {
    deposits: totals?.deposits ?? { count: 0, cents: 0 },
    withdrawals: totals?.withdrawals ?? { count: 0, cents: 0 },
  };
}

/** `accounts role <user> <customer|teller>`. */
export function addRoleCommand(
  accounts: Command,
  deps: LedgerCommandDeps,
  requireUser: (user: string) => string,
): void {
  withCommonOptions(
    accounts
      .command('role')
      .argument('<user>')
      .argument('<role>', 'customer or teller')
      .description("change an account's role (a teller serves customers at enrolled terminals)"),
  ).action((user: string, roleName: string, opts: DataDirOptions) =>
    withStore(opts, deps, (store) => {
      requireUser(user);
      const role = parseRole(roleName);
      const account = store.findAccount(user);
      if (account?.status !== 'active') throw new CliError('UNKNOWN_ACCOUNT', `no account named ${user}`);
      const from = account.role ?? 'customer';
      if (role === 'teller' && from !== 'teller' && store.balance(account.id) !== 0) {
        // A teller has no money of its own (§5.2).
        throw new CliError('NONZERO_BALANCE', `${user} holds money; only a zero-balance account can become a teller`);
      }
      if (!setRole(store, user, role)) throw new CliError('UNKNOWN_ACCOUNT', `no account named ${user}`);
      if (from !== role) recordOperatorAction(deps, store, { action: 'account_role', user, from, to: role });
      if (opts.json) deps.out(JSON.stringify({ user, role, previous: from }));
      else deps.out(from === role ? `${user} is already a ${role}` : `${user} is now a ${role} (was ${from})`);
    }),
  );
}
