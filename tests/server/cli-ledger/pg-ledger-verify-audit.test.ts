import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEventInput, openAuditLog } from '../../../audit/index.js';
import type { OutboxEnvelope } from '../../../server/ledger/index.js';
import { makeKeys } from '../../audit/audit-fixtures.js';
import { bankServer, pgLedgerWithAlice } from '../ledger-backends/pg-fixtures.js';

/**
 * `bank-server ledger verify --ledger postgres://… --audit <data-dir>…` (the compiled binary,
 * as an operator runs it): every transaction of the shared ledger has exactly one audit record
 * across the chains of several instances (instance `main` in one data dir's audit/, instance `b`
 * in another's audit/instances/b/). The records are the outbox events the mutations committed,
 * written by the real audit log writer, as an instance's drain writes them.
 */

/** The compiled `bank-server ledger verify …`, as an operator runs it. */
function verify(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return bankServer('ledger', 'verify', ...args);
}

const ENVELOPE: OutboxEnvelope = { actor: 'alice', address: '127.0.0.1', terminal: 'ATM-1', sessionId: 's-1' };

describe('bank-server ledger verify --audit on a PostgreSQL ledger', () => {
  const pg = pgLedgerWithAlice('verify_audit');
  const dirA = mkdtempSync(join(tmpdir(), 'verify-audit-a-'));
  const dirB = mkdtempSync(join(tmpdir(), 'verify-audit-b-'));
  const keys = makeKeys();
  const logOf = (dir: string, instance: string) =>
    openAuditLog({
      dir: instance === 'main' ? join(dir, 'audit') : join(dir, 'audit', 'instances', instance),
      instance,
      auditorPublicKey: keys.auditorPublicKey,
      signingSecretKey: keys.signingSecretKey,
    });

  /** A deposit with its audit events (the outbox rows it committed), as an instance makes it. */
  async function deposit(id: string): Promise<AuditEventInput[]> {
    const outcome = await pg.ledger.mutate(pg.alice, { id, op: 'deposit', amountCents: 100 }, undefined, ENVELOPE);
    if (!outcome.ok) throw new Error(outcome.code);
    return (outcome.outbox ?? []).map((row) => JSON.parse(row.event) as AuditEventInput);
  }

  async function append(dir: string, instance: string, events: AuditEventInput[]): Promise<void> {
    const log = await logOf(dir, instance);
    for (const event of events) log.record(event);
    await log.close();
  }

  beforeAll(async () => {
    // A cash load is an operator action, audited through the operator queue: not counted here.
    await pg.ledger.moveTerminalCash({ id: 'ATM-1', kind: 'load', amountCents: 10_000 });
  });
  afterAll(() => {
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  });

  it('passes when each transaction has one record across the chains, and names what is missing or repeated', async () => {
    const first = [...(await deposit('d1')), ...(await deposit('d2'))];
    const second = [...(await deposit('d3')), ...(await deposit('d4'))];
    // A retry of d3 at instance b: its replay repeats the txId, marked replayed, and is no second record.
    const replay = await deposit('d3');
    expect(replay[0]).toMatchObject({ txId: second[0]?.txId, detail: { replayed: true } });
    await append(dirA, 'main', first);
    await append(dirB, 'b', [...second, ...replay]);

    const logs = `${join(dirA, 'audit', 'audit.log')}, ${join(dirB, 'audit', 'instances', 'b', 'audit.log')}`;
    const ok = await verify('--ledger', pg.url, '--audit', dirA, dirB);
    expect(ok).toMatchObject({
      code: 0,
      stdout: `ledger OK: 1 accounts, 10 entries, balances sum to 0\naudit OK: each of 4 transactions has exactly one record in ${logs}\n`,
    });
    const json = JSON.parse((await verify('--ledger', pg.url, '--audit', dirA, dirB, '--json')).stdout);
    expect(json.audit).toMatchObject({ ok: true, transactions: 4, missing: [], repeated: [], unknown: [] });

    // Only one of the two chains: the other's transactions have no record.
    const half = await verify('--ledger', pg.url, '--audit', dirA);
    expect(half.code).toBe(1);
    const txIds = (events: AuditEventInput[]) => events.filter((e) => e.kind === 'request').map((e) => e.txId);
    expect(txIds(second)).toHaveLength(2);
    expect(half.stderr.trim()).toBe(
      `bank-server: ledger verify FAILED: no audit record for ${txIds(second).join(', ')}`,
    );

    // A transaction committed but never drained, and one written to both chains.
    const lost = await deposit('d5');
    await append(dirB, 'b', first.slice(0, 1));
    const bad = await verify('--ledger', pg.url, '--audit', dirA, dirB);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain(`no audit record for ${lost[0]?.txId}`);
    expect(bad.stderr).toContain(`more than one audit record for ${first[0]?.txId}`);
  });

  it('refuses a data dir without an audit log, and a database without the schema, in one line', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'verify-audit-empty-'));
    try {
      const none = await verify('--ledger', pg.url, '--audit', empty);
      expect(none.code).toBe(1);
      expect(none.stderr.trim()).toBe(
        `bank-server: ledger verify --audit: no audit log in ${empty} (expected ${join(empty, 'audit', 'audit.log')})`,
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const bare = await pg.cluster.createDatabase('bare');
    const refused = await verify('--ledger', bare, '--audit', dirA);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  });
});
