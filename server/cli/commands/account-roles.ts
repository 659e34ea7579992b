import type { Command } from 'commander';
import type { AccountRole } from '../../ledger/index.js';
import { CliError } from '../io.js';
import { type LedgerTargetOptions, ledgerAction, recordLedgerAction, rolesUnsupported } from './ledger-target.js';
import { type LedgerCommandDeps, noSuchAccount } from './operator-command.js';

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

/** `accounts role <user> <customer|teller>`. */
export function addRoleCommand(
  accounts: Command,
  deps: LedgerCommandDeps,
  requireUser: (user: string) => string,
): void {
  ledgerAction(
    accounts
      .command('role')
      .argument('<user>')
      .argument('<role>', 'customer or teller')
      .description("change an account's role (a teller serves customers at enrolled terminals)"),
    deps,
    async (ledger, opts: LedgerTargetOptions, user: string, roleName: string) => {
      requireUser(user);
      const role = parseRole(roleName);
      if (!ledger.roles) throw rolesUnsupported();
      const account = await ledger.findAccount(user);
      if (account?.status !== 'active') throw noSuchAccount(user);
      const from = account.role ?? 'customer';
      if (role === 'teller' && from !== 'teller' && (await ledger.balance(account.id)) !== 0) {
        // A teller has no money of its own (§5.2).
        throw new CliError('NONZERO_BALANCE', `${user} holds money; only a zero-balance account can become a teller`);
      }
      if (!(await ledger.setRole(user, role))) throw noSuchAccount(user);
      if (from !== role) await recordLedgerAction(deps, ledger, { action: 'account_role', user, from, to: role });
      if (opts.json) deps.out(JSON.stringify({ user, role, previous: from }));
      else deps.out(from === role ? `${user} is already a ${role}` : `${user} is now a ${role} (was ${from})`);
    },
  );
}
