/**
 * The fault texts of `ledger verify`, one wording for both backends (ledger-verify.ts for SQLite,
 * postgres/pg-verify.ts for PostgreSQL), each built from the first offending row.
 */
import { formatTxId } from './tx-id.js';

export type VerifyReport = { ok: true; accounts: number; entries: number } | { ok: false; fault: string };
export type VerifyFault = Extract<VerifyReport, { ok: false }>;

export interface ChainFault {
  username: string;
  tx_seq: number;
  balance_after: number;
  running: number;
}

export interface BalanceFault {
  username: string;
  balance_cents: number;
  total: number;
}

export interface PositionFault {
  name: string;
  balance_cents: number;
  total: number;
}

export interface TxFault {
  seq: number;
  amount_cents: number;
  n: number;
  total: number;
}

const fault = (text: string): VerifyFault => ({ ok: false, fault: text });

export function schemaFault(version: number | undefined, expected: number): VerifyFault {
  return fault(`schema version is ${version}, expected ${expected}`);
}

export function chainFault(chain: ChainFault): VerifyFault {
  return fault(
    `broken balance_after chain: entry ${formatTxId(chain.tx_seq)} of account ${chain.username} says ${chain.balance_after} but the entries up to it sum to ${chain.running}`,
  );
}

export function balanceFault(balance: BalanceFault): VerifyFault {
  return fault(
    `balance mismatch: account ${balance.username} has balance ${balance.balance_cents} but its entries sum to ${balance.total}`,
  );
}

/** A terminal's cash account: its balance is minus the cash held, so a positive balance is negative cash. */
export function positionFault(position: PositionFault): VerifyFault {
  return fault(
    position.balance_cents > 0
      ? `negative cash position: terminal ${position.name} holds ${-position.balance_cents} cents`
      : `cash position mismatch: terminal ${position.name} holds ${-position.balance_cents} cents but its entries say ${-position.total}`,
  );
}

export function txFault(tx: TxFault): VerifyFault {
  return fault(
    `unbalanced transaction ${formatTxId(tx.seq)}: ${tx.n} entries summing to ${tx.total} for an amount of ${tx.amount_cents}`,
  );
}

export function orphanFault(txSeq: number): VerifyFault {
  return fault(`entry ${formatTxId(txSeq)} belongs to no transaction`);
}

export function sumFault(sum: number | undefined): VerifyFault {
  return fault(`balances do not sum to 0: the total is ${sum}`);
}

export function unreadable(error: unknown): VerifyFault {
  return fault(`cannot read the ledger: ${error instanceof Error ? error.message : String(error)}`);
}
