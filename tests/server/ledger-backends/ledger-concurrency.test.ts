import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LEDGER_CONFIG,
  type LedgerConfig,
  type MutationOutcome,
  requestHash,
} from '../../../server/ledger/index.js';
import { type LedgerBackend, openLedgerBackend } from '../../../server/ledger/ledger-backend.js';
import { PG_SCHEMA_VERSION, PostgresLedger } from '../../../server/ledger/postgres/index.js';
import { seededRandom } from '../../helpers/seeded-random.js';
import { BACKENDS, backendEnv } from './backend-fixture.js';
import { ATM, Bank, freshId } from './bank-under-test.js';

/** `n` more handles on the bank's ledger: other connections on SQLite, other instances (pools) on PostgreSQL. */
async function handles(bank: Bank, n: number, config: Partial<LedgerConfig> = {}): Promise<LedgerBackend[]> {
  const out: LedgerBackend[] = [];
  for (let i = 0; i < n; i++) out.push(await bank.env.open({ same: true, poolSize: 2, config }));
  return out;
}

describe.each(BACKENDS)('ledger under concurrency on %s', (kind) => {
  const env = backendEnv(kind);

  it('stores one id sent by 8 connections at once exactly once; every answer is the same movement', async () => {
    const bank = await Bank.open(env);
    const others = await handles(bank, 8);
    const id = freshId();
    const outcomes = await Promise.all(
      others.map((ledger) => bank.mut('alice', { id, op: 'deposit', amountCents: 700 }, undefined, ledger)),
    );
    const results = outcomes.map((o) => (o.ok ? o.result : o.code));
    expect(outcomes.filter((o) => o.ok && !o.replayed)).toHaveLength(1);
    expect(outcomes.filter((o) => o.ok && o.replayed)).toHaveLength(7);
    const txIds = new Set(results.map((r) => (typeof r === 'string' ? r : r.txId)));
    expect(txIds.size).toBe(1);
    expect(await bank.balanceOf('alice')).toBe(700);
    expect(await bank.ledger.verify()).toEqual({ ok: true, accounts: 2, entries: 2 });
  });

  it('conserves money under concurrent random transfers in both directions', async () => {
    const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
    const bank = await Bank.open(env, users);
    for (const user of users) await bank.fund(user, 10_000);
    const others = await handles(bank, 4);
    const random = seededRandom(20260310);
    const jobs: Promise<MutationOutcome>[] = [];
    for (let i = 0; i < 240; i++) {
      const from = users[Math.floor(random() * users.length)] as string;
      const to = users[Math.floor(random() * users.length)] as string;
      const amountCents = 1 + Math.floor(random() * 4000);
      const ledger = others[i % others.length] as LedgerBackend;
      jobs.push(bank.mut(from, { op: 'transfer', amountCents, to }, undefined, ledger));
    }
    const outcomes = await Promise.all(jobs);
    const codes = new Set(outcomes.map((o) => (o.ok ? 'OK' : o.code)));
    for (const code of codes) expect(['OK', 'INSUFFICIENT_FUNDS', 'SAME_ACCOUNT']).toContain(code);
    expect(outcomes.filter((o) => o.ok).length).toBeGreaterThan(100);
    let total = 0;
    for (const user of users) {
      const balance = await bank.balanceOf(user);
      expect(balance).toBeGreaterThanOrEqual(0);
      total += balance;
    }
    expect(total).toBe(60_000);
    const report = await bank.ledger.verify();
    expect(report).toMatchObject({ ok: true, accounts: 6 });
  });

  it('reverses a withdrawal once when 8 reversals with different ids race', async () => {
    const bank = await Bank.open(env);
    await bank.fund('alice', 1000);
    const txId = await bank.withdrawal('alice', 400);
    const others = await handles(bank, 8);
    const outcomes = await Promise.all(
      others.map((ledger) => bank.mut('alice', { op: 'reverse', txId, reason: 'TIMEOUT' }, undefined, ledger)),
    );
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.ok && o.code === 'NOT_REVERSIBLE')).toHaveLength(7);
    expect(await bank.balanceOf('alice')).toBe(1000);
  });

  it('holds the daily limit when withdrawals race from several connections', async () => {
    const bank = await Bank.open(env, ['alice'], { config: { dailyWithdrawalLimitCents: 1000 } });
    await bank.fund('alice', 100_000);
    const others = await handles(bank, 8, { dailyWithdrawalLimitCents: 1000 });
    const outcomes = await Promise.all(
      others.map((ledger) => bank.mut('alice', { op: 'withdraw', amountCents: 300 }, undefined, ledger)),
    );
    expect(outcomes.filter((o) => o.ok)).toHaveLength(3);
    expect(outcomes.filter((o) => !o.ok && o.code === 'LIMIT_EXCEEDED')).toHaveLength(5);
    expect(await bank.balanceOf('alice')).toBe(99_100);
  });

  it('accepts one TOTP step once when several sessions present it at once', async () => {
    const bank = await Bank.open(env);
    const others = await handles(bank, 8);
    const alice = bank.target('alice').accountId;
    const accepted = await Promise.all(others.map((ledger) => ledger.acceptTotpStep(alice, 1000)));
    expect(accepted.filter(Boolean)).toHaveLength(1);
  });
});

describe('PostgreSQL specifics', () => {
  const env = backendEnv('postgres');

  it('answers a duplicate that loses on the primary key (23505) as the replay of the one that won', async () => {
    const bank = await Bank.open(env);
    const pool = (bank.ledger as PostgresLedger).pool;
    const alice = bank.target('alice').accountId;
    const id = freshId();
    // Another instance has applied `id` but not committed yet: its row holds the key.
    const rival = await pool.connect();
    await rival.query('BEGIN');
    const response = JSON.stringify({ balanceCents: 900, txId: 'T000000000077' });
    await bank.fund('alice', 1);
    const request = { id, op: 'deposit' as const, amountCents: 500 };
    await rival.query(
      'INSERT INTO applied_requests (account_id, request_id, request_hash, response, created_ms) VALUES ($1, $2, $3, $4, 0)',
      [alice, id, requestHash(request), response],
    );
    const racing = bank.ledger.mutate(bank.at('alice', ATM), request);
    // Once the mutation has done its deposit and waits on the rival's key, commit the rival.
    for (let polls = 0; ; polls += 1) {
      if (polls > 1000) throw new Error('the mutation never waited on the rival key');
      const { rows } = await pool.query(
        `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT ledger_mutate%'`,
      );
      if (rows.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await rival.query('COMMIT');
    rival.release();
    expect(await racing).toEqual({
      ok: true,
      result: { balanceCents: 900, txId: 'T000000000077', replayed: true },
      replayed: true,
      alerts: [],
    });
    // The loser's deposit rolled back with it.
    expect(await bank.balanceOf('alice')).toBe(1);
  });

  it('migrates once when four instances start on an empty database at the same moment', async () => {
    const url = await env.cluster().createDatabase('race');
    const ledgers = await Promise.all(
      [1, 2, 3, 4].map(() => PostgresLedger.open(url, { config: DEFAULT_LEDGER_CONFIG, poolSize: 1 })),
    );
    try {
      const { rows } = await (ledgers[0] as PostgresLedger).pool.query(
        `SELECT (SELECT COUNT(*) FROM schema_version)::int AS versions, (SELECT COUNT(*) FROM accounts WHERE kind = 'vault')::int AS vaults`,
      );
      // One row per migration: none ran twice.
      expect(rows[0]).toEqual({ versions: PG_SCHEMA_VERSION, vaults: 1 });
      expect(PG_SCHEMA_VERSION).toBeGreaterThanOrEqual(3);
      expect(await (ledgers[3] as PostgresLedger).verify()).toEqual({ ok: true, accounts: 0, entries: 0 });
    } finally {
      for (const ledger of ledgers) await ledger.close();
    }
  });

  it("counts the day and stores times by the database's clock when no test clock is given", async () => {
    const url = await env.cluster().createDatabase('dbclock');
    const ledger = await PostgresLedger.open(url, { config: DEFAULT_LEDGER_CONFIG });
    try {
      const created = await ledger.createAccount({ user: 'alice', passwordHash: 'h' });
      if (!created.ok) throw new Error('create');
      // The instance's idea of now is a year off; the database's is what counts.
      await ledger.enrollTerminal(ATM);
      const target = { accountId: created.account.id, user: 'alice', nowMs: Date.UTC(2001, 0, 1), terminal: ATM };
      await ledger.mutate(target, { id: 'd', op: 'deposit', amountCents: 100 });
      await ledger.mutate(target, { id: 'w', op: 'withdraw', amountCents: 40 });
      const { rows } = await ledger.pool.query(
        `SELECT a.withdrawn_day = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS same_day,
           abs(t.created_ms - extract(epoch FROM now()) * 1000) < 3600000 AS recent
         FROM accounts a JOIN transactions t ON t.account_id = a.id WHERE a.username = 'alice' AND t.kind = 'withdrawal'`,
      );
      expect(rows[0]).toEqual({ same_day: true, recent: true });
    } finally {
      await ledger.close();
    }
  });

  it('names an applied id whose transaction is missing', async () => {
    const bank = await Bank.open(env);
    await bank.fund('alice', 100);
    await env.exec(`UPDATE applied_requests SET response = '{"balanceCents":100,"txId":"T000000000099"}'`);
    expect(await bank.ledger.verify()).toMatchObject({
      ok: false,
      fault: expect.stringMatching(
        /^applied request .* of account alice names T000000000099, which is not a transaction of that account$/,
      ),
    });
  });

  it('sets synchronous_commit=on on its own connections even where the database default is off', async () => {
    const url = await env.cluster().createDatabase('durable');
    const admin = await PostgresLedger.open(url, { config: DEFAULT_LEDGER_CONFIG, poolSize: 1 });
    const name = new URL(url).pathname.slice(1);
    await admin.pool.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
    await admin.close();
    const ledger = await PostgresLedger.open(url, { config: DEFAULT_LEDGER_CONFIG, poolSize: 1 });
    try {
      const { rows } = await ledger.pool.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
      expect(rows[0]?.synchronous_commit).toBe('on');
    } finally {
      await ledger.close();
    }
  });

  it('opens the backend a --ledger URL names, and refuses other schemes without echoing the URL', async () => {
    const url = await env.cluster().createDatabase('byurl');
    const pgLedger = await openLedgerBackend(url, { config: DEFAULT_LEDGER_CONFIG });
    const dir = mkdtempSync(join(tmpdir(), 'ledger-url-'));
    try {
      expect(pgLedger.kind).toBe('postgres');
      expect(await pgLedger.verify()).toEqual({ ok: true, accounts: 0, entries: 0 });
      const sqlite = await openLedgerBackend(`sqlite:${join(dir, 'ledger.db')}`, { config: DEFAULT_LEDGER_CONFIG });
      expect(sqlite.kind).toBe('sqlite');
      await sqlite.close();
      await expect(openLedgerBackend('mysql://u:secret@h/db', { config: DEFAULT_LEDGER_CONFIG })).rejects.toThrow(
        /^unsupported ledger URL scheme "mysql"/,
      );
      await expect(openLedgerBackend('mysql://u:secret@h/db', { config: DEFAULT_LEDGER_CONFIG })).rejects.not.toThrow(
        /secret/,
      );
    } finally {
      await pgLedger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
