/**
 * The least the design asks of SQLite per money movement, against the real writer. The ledger of
 * ledger-batch.bench.ts (its set-up, ledger-bench-setup.ts: customers at 8 enrolled, loaded
 * terminals, each opened with a deposit) on a real file, then, on a fresh better-sqlite3
 * connection with the store's pragmas (WAL, synchronous=FULL, foreign_keys=ON, and the writer's
 * temp_store=MEMORY), N transactions (BEGIN IMMEDIATE … COMMIT) of B mutations of the same mix (25
 * deposit / 25 withdraw / 20 transfer in 70, the same ids, accounts and order) through hand-written
 * calls of the store's own prepared statements (ledger-statements.ts, the same SQL text): the
 * applied-id SELECT, the transactions INSERT, per side the balance UPDATE … RETURNING and the
 * entries INSERT with its balance_after (a withdrawal's also sets withdrawn_day/withdrawn_cents),
 * the applied_requests INSERT (a 64-hex request hash, the response the real path stores) and the
 * audit_outbox INSERT of the event the real path stores. No rules, row cache, fraud window, request
 * hashing or JSON serialising: only the statements and the bytes they bind, made by template (each
 * run prints the sizes it stored, the same for both paths).
 *
 * Each repeat also runs the real path as ledger-batch.bench.ts measures it (LedgerWriter,
 * withOutbox, applyMutation) on its own fresh ledger, the two alternating which goes first, so a
 * noisy machine moves both alike. CPU is process.cpuUsage: both run on this thread, and it counts
 * the process's other threads too (V8's compiler and GC helpers), so it can exceed wall time.
 *
 * Run: npx tsx tests/bench/ledger-minimum.bench.ts [batch=34] [batches=300] [repeats=3]
 * Prints per run CPU and wall µs per mutation (for the minimum also the CPU inside COMMIT: WAL
 * write, fsync, checkpoints), WAL pages per commit and checkpoints, statements per mutation
 * (counted as they run, by op kind), stored bytes per row, and `ledger verify` of the file after the
 * minimum (nonzero exit if it fails: the minimum moved the same money, every balance still equals
 * its entries and they sum to 0); then the minimum against the real writer, min and median over
 * the repeats: what is left is the cost of our JavaScript and of the statements beyond the minimum.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { formatTxId, utcDay, verifyLedgerFile } from '../../server/ledger/index.js';
import { prepareStatements } from '../../server/ledger/ledger-statements.js';
import {
  ACCOUNTS,
  type BenchLedger,
  costLines,
  opAt,
  runWriterBatches,
  setUp,
  TERMINALS,
  WARM_UP_BATCHES,
  WalMeter,
} from './ledger-bench-setup.js';

const batch = Number(process.argv[2] ?? 34);
const batches = Number(process.argv[3] ?? 300);
const repeats = Number(process.argv[4] ?? 3);
const AMOUNT = 100;

/** What a run stored per mutation, in characters: to show the minimum binds what the real path does. */
interface StoredSizes {
  hash: number;
  response: number;
  event: number;
}

function storedSizes(db: Database.Database): StoredSizes {
  const applied = db
    .prepare<[], { hash: number; response: number }>(
      `SELECT avg(length(request_hash)) AS hash, avg(length(response)) AS response FROM applied_requests
       WHERE request_id LIKE 's%'`,
    )
    .get();
  const event = db.prepare<[], number>('SELECT avg(length(event)) FROM audit_outbox').pluck().get();
  return { hash: applied?.hash ?? 0, response: applied?.response ?? 0, event: event ?? 0 };
}

const formatSizes = (s: StoredSizes) =>
  `request_hash ${s.hash.toFixed(0)}, response ${s.response.toFixed(1)}, event ${s.event.toFixed(1)} chars`;

/** The ledger's file as ledger-store.ts opens it, plus the pragma the writer adds (ledger-writer.ts). */
function openConnection(path: string): Database.Database {
  const db = new Database(path, { timeout: 5000 });
  db.pragma('busy_timeout = 5000');
  if (db.pragma('journal_mode = WAL', { simple: true }) !== 'wal') throw new Error('no WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
  return db;
}

/** `ledger verify` on the file, as `bank-server ledger verify` runs it; exits nonzero on a fault. */
function verifyOrExit(path: string, what: string): string {
  const report = verifyLedgerFile(path);
  if (!report.ok) {
    console.error(`ledger verify (${what}): FAILED: ${report.fault}`);
    process.exit(1);
  }
  return `ledger verify: ok (${report.accounts} customers, ${report.entries} entries)`;
}

interface Result {
  cpuUs: number;
  sizes: StoredSizes;
}

/** The minimum, on a fresh connection to a freshly set-up ledger. */
async function measureMinimum(): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-minimum-'));
  const ledger: BenchLedger = await setUp(dir);
  // Closing the last connection checkpoints: the minimum starts on an empty WAL (one checkpoint
  // more than the real path over a run, at the same pages per commit).
  ledger.store.close();
  const db = openConnection(ledger.path);
  const sql = prepareStatements(db);
  const insertOutbox = db.prepare<[string]>('INSERT INTO audit_outbox (event) VALUES (?)');
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const customers = ledger.ids;
  const terminalAccount = ledger.terminals.map(
    (t) => db.prepare<[string], number>('SELECT account_id FROM terminals WHERE id = ?').pluck().get(t.id) as number,
  );
  // The daily counter as SQLite last returned it (what the row cache holds in the real path).
  const withdrawn = customers.map(
    (id) =>
      db
        .prepare<[number], { withdrawn_day: string | null; withdrawn_cents: number }>(
          'SELECT withdrawn_day, withdrawn_cents FROM accounts WHERE id = ?',
        )
        .get(id) as { withdrawn_day: string | null; withdrawn_cents: number },
  );
  // Request hashes are HMAC-SHA256 hex in the real path; computing them is our JS, so they come from a pool.
  const hashes = Array.from({ length: 256 }, () => randomBytes(32).toString('hex'));
  const perOp = { deposit: { ops: 0, calls: 0 }, withdraw: { ops: 0, calls: 0 }, transfer: { ops: 0, calls: 0 } };
  let statements = 0;
  /** Every statement the minimum runs goes through here: counted as it runs. */
  const counted = <T>(result: T): T => {
    statements++;
    return result;
  };
  const newBalance = (row: { balance_cents: number } | undefined) => (row as { balance_cents: number }).balance_cents;

  let n = 0;
  const one = (a: number, day: string) => {
    const op = opAt(n);
    const id = `s${a}-${n}`;
    const hash = hashes[n & 255] as string;
    n++;
    const customer = customers[a] as number;
    const t = a % TERMINALS;
    const terminal = ledger.terminals[t]?.id as string;
    const cash = terminalAccount[t] as number;
    const now = Date.now();
    const before = statements;
    if (counted(sql.findApplied.get(customer, id)) !== undefined) throw new Error(`request ${id} already applied`);
    let seq: number;
    let after: number;
    if (op === 'deposit') {
      seq = Number(
        counted(sql.insertTx.run('deposit', customer, null, AMOUNT, null, now, terminal, null)).lastInsertRowid,
      );
      const cashAfter = newBalance(counted(sql.adjustBalance.get(-AMOUNT, cash)));
      counted(sql.insertEntry.run(seq, cash, 'deposit', -AMOUNT, cashAfter, customer, now));
      after = newBalance(counted(sql.adjustBalance.get(AMOUNT, customer)));
      counted(sql.insertEntry.run(seq, customer, 'deposit', AMOUNT, after, null, now));
    } else if (op === 'withdraw') {
      seq = Number(
        counted(sql.insertTx.run('withdrawal', customer, null, AMOUNT, null, now, terminal, null)).lastInsertRowid,
      );
      const counter = withdrawn[a] as { withdrawn_day: string | null; withdrawn_cents: number };
      const today = counter.withdrawn_day === day ? counter.withdrawn_cents : 0;
      const row = counted(sql.adjustBalanceAndDay.get(-AMOUNT, day, today + AMOUNT, customer));
      if (!row) throw new Error(`no account ${customer}`);
      withdrawn[a] = row;
      after = row.balance_cents;
      counted(sql.insertEntry.run(seq, customer, 'withdrawal', -AMOUNT, after, null, now));
      const cashAfter = newBalance(counted(sql.adjustBalance.get(AMOUNT, cash)));
      counted(sql.insertEntry.run(seq, cash, 'withdrawal', AMOUNT, cashAfter, customer, now));
    } else {
      const target = customers[(a + 1) % ACCOUNTS] as number;
      seq = Number(
        counted(sql.insertTx.run('transfer', customer, target, AMOUNT, null, now, null, null)).lastInsertRowid,
      );
      after = newBalance(counted(sql.adjustBalance.get(-AMOUNT, customer)));
      counted(sql.insertEntry.run(seq, customer, 'transfer_out', -AMOUNT, after, target, now));
      const targetAfter = newBalance(counted(sql.adjustBalance.get(AMOUNT, target)));
      counted(sql.insertEntry.run(seq, target, 'transfer_in', AMOUNT, targetAfter, customer, now));
    }
    const txId = formatTxId(seq);
    counted(sql.insertApplied.run(customer, id, hash, `{"balanceCents":${after},"txId":"${txId}"}`, now));
    // The bytes mutationAuditEvents + JSON.stringify give for this request (audit-outbox.ts).
    counted(
      insertOutbox.run(
        `{"kind":"request","actor":"acct${a}","address":"127.0.0.1","terminal":"${terminal}","sessionId":"sess${a}",` +
          `"op":"${op}","requestId":"${id}","amountCents":${AMOUNT},"outcome":"ok","balanceAfterCents":${after},"txId":"${txId}"}`,
      ),
    );
    perOp[op].ops++;
    perOp[op].calls += statements - before;
  };

  const autocheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  const wal = new WalMeter(ledger.path, autocheckpoint);
  // Batch b's i-th mutation is customer (b × batch + i) mod ACCOUNTS's, as runWriterBatches has it.
  let b = 0;
  /** CPU inside COMMIT: the WAL write, its fsync's system time, the checkpoints. */
  let commitCpuUs = 0;
  const transaction = () => {
    const day = utcDay(Date.now());
    counted(begin.run());
    for (let i = 0; i < batch; i++) one((b * batch + i) % ACCOUNTS, day);
    b++;
    const c0 = process.cpuUsage();
    counted(commit.run());
    const c = process.cpuUsage(c0);
    commitCpuUs += c.user + c.system;
    wal.committed();
  };
  const count = (table: string) => db.prepare<[], number>(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  const rowsBefore = ['transactions', 'entries', 'applied_requests', 'audit_outbox'].map(count);
  while (b < WARM_UP_BATCHES) transaction();
  wal.reset();
  b = 0;
  statements = 0;
  commitCpuUs = 0;
  for (const tally of Object.values(perOp)) {
    tally.ops = 0;
    tally.calls = 0;
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (b < batches) transaction();
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const total = batch * batches;
  const written = (WARM_UP_BATCHES + batches) * batch;
  const rowsAfter = ['transactions', 'entries', 'applied_requests', 'audit_outbox'].map(count);
  const grew = rowsAfter.map((x, i) => x - (rowsBefore[i] as number));
  const expected = [written, 2 * written, written, written];
  if (grew.some((x, i) => x !== expected[i])) {
    console.error(`minimum: rows written ${grew.join('/')}, expected ${expected.join('/')}`);
    process.exit(1);
  }
  const sizes = storedSizes(db);
  wal.close();
  db.close();
  const lines = costLines({ total, cpu, elapsedMs, wal }, batch);
  const perKind = Object.entries(perOp)
    .map(([op, { ops, calls }]) => `${op} ${(calls / Math.max(1, ops)).toFixed(2)}`)
    .join(', ');
  console.log(
    `minimum SQL: ${total} mutations in ${batches} commits of ${batch}; ${(statements / total).toFixed(2)} statements per mutation (${perKind}, + BEGIN IMMEDIATE and COMMIT per commit)\n` +
      `${lines.cpu}\n` +
      `  of which COMMIT ${(commitCpuUs / total).toFixed(1)} µs per mutation (WAL write, fsync, checkpoints), the statements before it ${((cpu.user + cpu.system - commitCpuUs) / total).toFixed(1)}\n` +
      `${lines.wal}\n` +
      `  stored per mutation: ${formatSizes(sizes)}; rows: +${grew.join(' / ')} transactions / entries / applied ids / outbox events\n` +
      `  ${verifyOrExit(ledger.path, 'minimum')}`,
  );
  await rm(dir, { recursive: true, force: true });
  return { cpuUs: (cpu.user + cpu.system) / total, sizes };
}

/** The real path, as ledger-batch.bench.ts measures it, on its own fresh ledger. */
async function measureWriter(): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-minimum-real-'));
  const ledger = await setUp(dir);
  const run = await runWriterBatches(ledger, { batch, batches });
  const sizes = storedSizes(ledger.store.database);
  run.wal.close();
  ledger.store.close();
  const lines = costLines(run, batch);
  console.log(
    `real writer: ${run.total} mutations in ${run.commits.length} commits of ${batch}; ${run.refused} refused\n` +
      `${lines.cpu}\n${lines.wal}\n` +
      `  stored per mutation: ${formatSizes(sizes)}\n` +
      `  ${verifyOrExit(ledger.path, 'real writer')}`,
  );
  await rm(dir, { recursive: true, force: true });
  return { cpuUs: (run.cpu.user + run.cpu.system) / run.total, sizes };
}

const minimum: Result[] = [];
const real: Result[] = [];
for (let r = 0; r < repeats; r++) {
  if (r % 2 === 0) {
    minimum.push(await measureMinimum());
    real.push(await measureWriter());
  } else {
    real.push(await measureWriter());
    minimum.push(await measureMinimum());
  }
}

function minMedian(xs: number[]): [number, number] {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return [sorted[0] as number, median];
}
const [minX, medX] = minMedian(minimum.map((m) => m.cpuUs));
const [minY, medY] = minMedian(real.map((m) => m.cpuUs));
const pct = (x: number, y: number) => `${(((y - x) / y) * 100).toFixed(0)}%`;
console.log(
  `\nminimum SQL: ${minX.toFixed(1)}/${medX.toFixed(1)} µs/mutation CPU (min/median over ${repeats} repeats) | ` +
    `real writer: ${minY.toFixed(1)}/${medY.toFixed(1)} | ` +
    `our JS and extra statements: ${(minY - minX).toFixed(1)}/${(medY - medX).toFixed(1)} ` +
    `(${pct(minX, minY)}/${pct(medX, medY)} of the real writer)`,
);
