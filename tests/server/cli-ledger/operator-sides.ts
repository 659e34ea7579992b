import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { main } from '../../../server/cli/program.js';
import { dataDirPaths } from '../../../server/data-dir.js';
import { DEFAULT_LEDGER_CONFIG, openLedger } from '../../../server/ledger/index.js';
import { type LedgerBackend, SqliteLedgerBackend } from '../../../server/ledger/ledger-backend.js';
import { PostgresLedger } from '../../../server/ledger/postgres/index.js';
import { PiiBox } from '../../../server/secrets/pii-box.js';
import { ensureTerminalCa } from '../../../server/tls/index.js';
import { type PostgresCluster, startPostgresCluster } from '../../helpers/postgres-cluster.js';

/**
 * The two sides of the operator-command parity tests: a SQLite data dir, and a PostgreSQL
 * database (`--ledger postgres://…`, the data dir holding only keys and the terminal CA). The same
 * steps must print the same text and JSON on both, refuse the same mistakes with the same line,
 * and queue the same operator actions.
 */

export interface Run {
  code: number;
  out: string[];
  err: string[];
}

export const PASSWORD = 'Correct-Horse-9';
export const DATA_KEY = PiiBox.generateKey();

/** One side under test: a data dir, and for PostgreSQL the URL its commands name. */
export interface Side {
  kind: 'sqlite' | 'postgres';
  dataDir: string;
  url?: string;
  /** The command line the side's commands run with (the real program, in-process). */
  run(...args: string[]): Promise<Run>;
  /** The ledger itself, as a running server would see it. */
  open(): Promise<LedgerBackend>;
}

let cluster: PostgresCluster;
const dirs: string[] = [];

/** Start the file's throwaway cluster before its tests and remove it, and every data dir made, after. */
export function postgresClusterForFile(): () => PostgresCluster {
  beforeAll(async () => {
    cluster = await startPostgresCluster();
  }, 60_000);
  afterAll(() => {
    cluster?.stop();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => cluster;
}

/** An empty temp dir, removed after the file's tests. */
export function bareDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function newDataDir(prefix: string): string {
  const dir = bareDir(prefix);
  const paths = dataDirPaths(dir);
  mkdirSync(paths.keysDir, { recursive: true });
  writeFileSync(paths.dataKey, `${Buffer.from(DATA_KEY).toString('base64')}\n`, { mode: 0o600 });
  return dir;
}

export async function runMain(env: NodeJS.ProcessEnv, args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'bank-server', ...args], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env,
  });
  return { code, out, err };
}

export async function sqliteSide(): Promise<Side> {
  const dataDir = newDataDir('ops-sqlite-');
  openLedger(dataDirPaths(dataDir).ledgerDb).close(); // what `bank-server init` leaves behind
  return {
    kind: 'sqlite',
    dataDir,
    run: (...args) => runMain({}, [...args, '--data-dir', dataDir]),
    open: async () => SqliteLedgerBackend.open(dataDirPaths(dataDir).ledgerDb, { config: DEFAULT_LEDGER_CONFIG }),
  };
}

export async function postgresSide(): Promise<Side> {
  const dataDir = newDataDir('ops-pg-');
  await ensureTerminalCa(dataDirPaths(dataDir)); // an instance's data dir (the shared terminal CA)
  const url = await cluster.createDatabase('ops');
  // What `bank-server init --ledger` leaves behind: the schema, migrated once.
  await (await PostgresLedger.open(url, { config: DEFAULT_LEDGER_CONFIG })).close();
  return {
    kind: 'postgres',
    dataDir,
    url,
    // Half the commands name the ledger with --ledger, half through the environment.
    run: (...args) =>
      args.length % 2 === 0
        ? runMain({}, [...args, '--data-dir', dataDir, '--ledger', url])
        : runMain({ BANK_LEDGER_URL: url }, [...args, '--data-dir', dataDir]),
    open: () => PostgresLedger.open(url, { config: DEFAULT_LEDGER_CONFIG }),
  };
}

export async function withLedger<T>(side: Side, fn: (ledger: LedgerBackend) => Promise<T>): Promise<T> {
  const ledger = await side.open();
  try {
    return await fn(ledger);
  } finally {
    await ledger.close();
  }
}

/** Cash in or out of `user`'s account at `terminal`, as an ATM session there would move it. */
export async function atTerminal(
  side: Side,
  user: string,
  terminal: string,
  request: { id: string; op: 'deposit' | 'withdraw'; amountCents: number },
): Promise<void> {
  await withLedger(side, async (ledger) => {
    const account = await ledger.findAccount(user);
    const atm = await ledger.findTerminal(terminal);
    if (!account || !atm) throw new Error(`no ${user} or ${terminal}`);
    const outcome = await ledger.mutate(
      { accountId: account.id, user, nowMs: Date.now(), terminal: { id: atm.id, fingerprint: atm.fingerprint } },
      request,
    );
    if (!outcome.ok) throw new Error(outcome.code);
  });
}

/** Money into `user`'s account at `terminal`, as an ATM session there would put it. */
export function deposit(side: Side, user: string, terminal: string, amountCents: number, id: string): Promise<void> {
  return atTerminal(side, user, terminal, { id, op: 'deposit', amountCents });
}

export async function setContact(side: Side, user: string): Promise<void> {
  const box = new PiiBox(DATA_KEY);
  await withLedger(side, async (ledger) => {
    const account = await ledger.findAccount(user);
    if (!account) throw new Error(`no ${user}`);
    const outcome = await ledger.mutate(
      { accountId: account.id, user, nowMs: Date.now() },
      { id: 'contact-1', op: 'update_contact', email: 'alice@example.com', phone: '+1 555 0100' },
      { emailSealed: box.seal('alice@example.com'), phoneSealed: box.seal('+1 555 0100') },
    );
    if (!outcome.ok) throw new Error(outcome.code);
  });
}

/** What differs between two runs by nature, not by backend: times, fingerprints, temp paths, passwords. */
export function normalise(text: string, side: Side): string {
  return text
    .replaceAll(side.dataDir, '<dir>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>')
    .replaceAll(new Date().toISOString().slice(0, 10), '<today>')
    .replace(/[A-Z][a-z]{2} +\d+ \d\d:\d\d:\d\d \d{4} GMT/g, '<time>')
    .replace(/\b(?:[0-9A-F]{2}:){31}[0-9A-F]{2}\b/g, '<fingerprint>')
    .replace(/password: \S+/g, 'password: <generated>')
    .replace(/"password":"[^"]+"/g, '"password":"<generated>"');
}

/** A command line to run, or what happens to the side's ledger between two commands (not recorded). */
export type Step = string[] | ((side: Side) => Promise<void>);

/** Run the steps on one side; each command's exit code and normalised output and errors. */
export async function play(side: Side, steps: Step[]) {
  const seen: Array<{ step: string; code: number; out: string[]; err: string[] }> = [];
  for (const step of steps) {
    if (typeof step === 'function') {
      await step(side);
      continue;
    }
    const result = await side.run(...step);
    seen.push({
      step: step.join(' '),
      code: result.code,
      out: result.out.map((line) => normalise(line, side)),
      err: result.err.map((line) => normalise(line, side)),
    });
  }
  return seen;
}

/** The operator actions queued for the running server's audit log, without who ran them. */
export async function queuedActions(side: Side): Promise<Array<Record<string, unknown>>> {
  return withLedger(side, async (ledger) =>
    (await ledger.pendingOperatorActions(1000)).map(({ detail }) => {
      const { osUser, osHost, ...rest } = detail;
      expect(typeof osUser).toBe('string');
      expect(typeof osHost).toBe('string');
      return JSON.parse(normalise(JSON.stringify(rest), side)) as Record<string, unknown>;
    }),
  );
}

/** A fresh SQLite side and PostgreSQL side before each test of the enclosing block. */
export function bothSides(): { sqlite: Side; postgres: Side } {
  const sides = {} as { sqlite: Side; postgres: Side };
  beforeEach(async () => {
    sides.sqlite = await sqliteSide();
    sides.postgres = await postgresSide();
  });
  return sides;
}

/** The steps played on both sides must print the same; returns what PostgreSQL printed. */
export async function playOnBoth(sides: { sqlite: Side; postgres: Side }, steps: Step[]) {
  const onSqlite = await play(sides.sqlite, steps);
  const onPostgres = await play(sides.postgres, steps);
  expect(onPostgres).toEqual(onSqlite);
  return onPostgres;
}

/** Both sides queued the same operator actions; returns them. */
export async function sameQueuedActions(sides: { sqlite: Side; postgres: Side }) {
  const queued = await queuedActions(sides.postgres);
  expect(queued).toEqual(await queuedActions(sides.sqlite));
  return queued;
}
