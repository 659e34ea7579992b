import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { formatTxId } from './tx-id.js';

export interface AuditCrossCheck {
  ok: boolean;
  transactions: number;
  /** The audit logs read, one per instance chain. */
  logs: string[];
  /** Ledger transactions without an audit record. */
  missing: string[];
  /** Transactions with more than one record (across every chain given). */
  repeated: string[];
  /** Records naming a transaction the ledger does not have. */
  unknown: string[];
}

/**
 * `bank-server ledger verify --audit <data-dir>…`: every ledger transaction has exactly one
 * audit record across the instances' chains. The server side can see both: the ledger, and
 * each chain's plaintext audit.log (`<data-dir>/audit/audit.log`, and
 * `audit/instances/<id>/audit.log`). A record is a successful `request` event with a txId
 * that is not a replay (a retried id repeats the original txId, marked `replayed`). Terminal
 * cash loads and unloads are not customer requests and are left out of the count.
 */
export async function crossCheckAudit(ledgerPath: string, dataDirs: string[]): Promise<AuditCrossCheck> {
  const db = new Database(ledgerPath, { readonly: true, fileMustExist: true, timeout: 5000 });
  let seqs: number[];
  try {
    seqs = (db.prepare(AUDITED_TRANSACTIONS_SQL).all() as Array<{ seq: number }>).map((r) => r.seq);
  } finally {
    db.close();
  }
  return crossCheckSeqs(seqs, dataDirs);
}

/**
 * The ledger transactions that must each have one audit record, in seq order; the same SQL on
 * SQLite and PostgreSQL. Customer requests only: cash loads and unloads are operator actions,
 * audited through the operator-action queue (which names the terminal and amount), not as
 * request events.
 */
export const AUDITED_TRANSACTIONS_SQL =
  "SELECT seq FROM transactions WHERE kind NOT IN ('load', 'unload') ORDER BY seq";

/** The cross-check for the ledger transactions `seqs`, whichever ledger they were read from. */
export async function crossCheckSeqs(seqs: readonly number[], dataDirs: string[]): Promise<AuditCrossCheck> {
  const count = new Map<string, number>(seqs.map((seq) => [formatTxId(seq), 0]));
  const unknown = new Set<string>();
  const logs = dataDirs.flatMap(auditLogsOf);
  for (const log of logs) {
    const lines = createInterface({ input: createReadStream(log, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      const txId = recordedTxId(line);
      if (txId === null) continue;
      const seen = count.get(txId);
      if (seen === undefined) unknown.add(txId);
      else count.set(txId, seen + 1);
    }
  }
  const missing = [...count].filter(([, n]) => n === 0).map(([id]) => id);
  const repeated = [...count].filter(([, n]) => n > 1).map(([id]) => id);
  return {
    ok: missing.length === 0 && repeated.length === 0 && unknown.size === 0,
    transactions: seqs.length,
    logs,
    missing,
    repeated,
    unknown: [...unknown],
  };
}

function auditLogsOf(dataDir: string): string[] {
  const found = [join(dataDir, 'audit', 'audit.log')].filter((p) => existsSync(p));
  const instances = join(dataDir, 'audit', 'instances');
  if (existsSync(instances)) {
    for (const id of readdirSync(instances).sort()) {
      const log = join(instances, id, 'audit.log');
      if (existsSync(log)) found.push(log);
    }
  }
  if (found.length === 0)
    throw new Error(`no audit log in ${dataDir} (expected ${join(dataDir, 'audit', 'audit.log')})`);
  return found;
}

function recordedTxId(line: string): string | null {
  if (!line.includes('"txId"')) return null;
  try {
    const e = JSON.parse(line) as {
      kind?: unknown;
      outcome?: unknown;
      txId?: unknown;
      detail?: { replayed?: unknown };
    };
    if (e.kind !== 'request' || e.outcome !== 'ok' || typeof e.txId !== 'string') return null;
    return e.detail?.replayed === true ? null : e.txId;
  } catch {
    return null; // a line torn by a crash holds no record
  }
}
