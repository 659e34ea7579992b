/** The PostgreSQL ledger's rows: the SQLite shapes with native booleans, mapped by the same code. */
import {
  type AccountColumns,
  type AccountRecord,
  type AlertColumns,
  alertOf,
  type FraudAlertRecord,
  type ReadFlag,
  recordOf,
} from '../ledger-records.js';

export { type HistoryRow, toHistory } from '../ledger-records.js';

/** The accounts row as PostgreSQL returns it (BIGINT parsed to number, booleans native, no role). */
export type AccountRow = AccountColumns<boolean>;

export type AlertRow = AlertColumns<boolean>;

const pgFlag: ReadFlag<boolean> = (value) => value;

export function toRecord(row: AccountRow): AccountRecord {
  return recordOf(row, pgFlag);
}

export function toAlert(row: AlertRow): FraudAlertRecord {
  return alertOf(row, pgFlag);
}
