import { AUDITED_TRANSACTIONS_SQL, type AuditCrossCheck, crossCheckSeqs } from '../audit-cross-check.js';
import { DEFAULT_LEDGER_CONFIG } from '../ledger-config.js';
import { PostgresLedger } from './postgres-ledger.js';

/**
 * `bank-server ledger verify --ledger postgres://… --audit <data-dir>…`: the transactions of a
 * PostgreSQL ledger (read-only, its schema must be this program's) against the audit chains of
 * every instance's data dir, the same check as on SQLite (audit-cross-check.ts).
 */
export async function crossCheckAuditPostgres(url: string, dataDirs: string[]): Promise<AuditCrossCheck> {
  const ledger = await PostgresLedger.open(url, { config: DEFAULT_LEDGER_CONFIG, readOnly: true, poolSize: 1 });
  let seqs: number[];
  try {
    seqs = (await ledger.pool.query<{ seq: number }>(AUDITED_TRANSACTIONS_SQL)).rows.map((r) => r.seq);
  } finally {
    await ledger.close();
  }
  return crossCheckSeqs(seqs, dataDirs);
}
