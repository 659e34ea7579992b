import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closedUserName, openLedger, SCHEMA_VERSION, VAULT_USER } from '../../../server/ledger/index.js';
import { apply, config, customer, okResult, req, type TempLedger, tempLedger } from './ledger-fixture.js';

const HOUR_MS = 60 * 60 * 1000;

let fx: TempLedger;
beforeEach(() => {
  fx = tempLedger();
});
afterEach(() => fx.cleanup());

describe('openLedger', () => {
  it('sets WAL, synchronous=FULL, busy_timeout, foreign keys, and the schema version', () => {
    const db = fx.store.database;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(1);
  });

  it('creates exactly one vault, also across reopens and a second connection', () => {
    const second = openLedger(fx.path);
    fx.reopen();
    const vaults = fx.store.database.prepare(`SELECT username FROM accounts WHERE kind = 'vault'`).pluck().all();
    expect(vaults).toEqual([VAULT_USER]);
    second.close();
  });

  it('refuses a file from a newer schema', () => {
    fx.store.database.pragma('user_version = 99');
    fx.store.close();
    expect(() => openLedger(fx.path)).toThrow(/newer/);
  });
});

describe('accounts', () => {
  it('creates accounts and refuses a taken name with USER_EXISTS', () => {
    const created = fx.store.createAccount({ user: 'alice', passwordHash: 'h1' });
    expect(created).toMatchObject({
      ok: true,
      account: {
        user: 'alice',
        passwordHash: 'h1',
        status: 'active',
        locked: false,
        failedLogins: 0,
        totpEnabled: false,
      },
    });
    expect(fx.store.createAccount({ user: 'alice', passwordHash: 'h2' })).toEqual({ ok: false, code: 'USER_EXISTS' });
    expect(fx.store.findAccount('alice')?.passwordHash).toBe('h1');
    expect(fx.store.findAccount('alice')?.createdAt).toBe(new Date(fx.clock.now).toISOString());
  });

  it('never hands out the vault', () => {
    customer(fx.store, 'alice');
    expect(fx.store.findAccount(VAULT_USER)).toBeNull();
    expect(fx.store.getAccount(fx.store.vaultId)).toBeNull();
    expect(fx.store.listAccounts().map((a) => a.user)).toEqual(['alice']);
    // The vault's name is outside USER_PATTERN, so a customer may be called "vault".
    expect(fx.store.createAccount({ user: 'vault', passwordHash: 'h' }).ok).toBe(true);
  });

  it('lists accounts with balances and flags', () => {
    customer(fx.store, 'bob');
    customer(fx.store, 'alice');
    okResult(apply(fx, 'bob', req({ op: 'deposit', amountCents: 42 })));
    expect(fx.store.listAccounts()).toMatchObject([
      { user: 'alice', balanceCents: 0, status: 'active', locked: false, failedLogins: 0, totpEnabled: false },
      { user: 'bob', balanceCents: 42 },
    ]);
  });

  it('counts failed logins, locks at the threshold once, and unlock resets the count', () => {
    const id = customer(fx.store, 'alice');
    expect(fx.store.recordFailedLogin(id, 3)).toEqual({ failedLogins: 1, locked: false, justLocked: false });
    expect(fx.store.recordFailedLogin(id, 3)).toEqual({ failedLogins: 2, locked: false, justLocked: false });
    expect(fx.store.recordFailedLogin(id, 3)).toEqual({ failedLogins: 3, locked: true, justLocked: true });
    expect(fx.store.recordFailedLogin(id, 3)).toEqual({ failedLogins: 4, locked: true, justLocked: false });
    expect(fx.store.setLocked('alice', false)).toBe(true);
    expect(fx.store.getAccount(id)).toMatchObject({ locked: false, failedLogins: 0 });
    fx.store.recordFailedLogin(id, 3);
    fx.store.resetFailedLogins(id);
    expect(fx.store.getAccount(id)?.failedLogins).toBe(0);
    expect(fx.store.setLocked('alice', true)).toBe(true);
    expect(fx.store.getAccount(id)?.locked).toBe(true);
    expect(fx.store.setLocked('nobody', true)).toBe(false);
  });

  it('stores the TOTP replay guard and pending secret', () => {
    const id = customer(fx.store, 'alice');
    fx.store.setTotpPending(id, 'v1:pending');
    fx.store.setTotpLastStep(id, 1234);
    expect(fx.store.getAccount(id)).toMatchObject({ totpPendingSealed: 'v1:pending', totpLastStep: 1234 });
  });

  it('throws on the balance of an unknown id (a caller bug, not a customer outcome)', () => {
    expect(() => fx.store.balance(9999)).toThrow(RangeError);
  });
});

describe('history', () => {
  it('pages newest first with before/next and refuses a foreign or unknown txId', () => {
    const alice = customer(fx.store, 'alice');
    const bob = customer(fx.store, 'bob');
    const txIds: string[] = [];
    for (let i = 1; i <= 5; i += 1) {
      fx.clock.advance(1000);
      txIds.push(String(okResult(apply(fx, 'alice', req({ op: 'deposit', amountCents: i * 100 }))).txId));
    }
    const bobTx = String(okResult(apply(fx, 'bob', req({ op: 'deposit', amountCents: 1 }))).txId);
    const page1 = fx.store.history(alice, 2);
    if ('error' in page1) throw new Error('history failed');
    expect(page1.entries.map((e) => e.txId)).toEqual([txIds[4], txIds[3]]);
    expect(page1.entries[0]).toEqual({
      txId: txIds[4],
      kind: 'deposit',
      amountCents: 500,
      balanceAfterCents: 1500,
      counterparty: null,
      at: new Date(fx.clock.now).toISOString(),
      terminal: 'ATM-TEST',
    });
    expect(page1.next).toBe(txIds[3]);
    const page2 = fx.store.history(alice, 2, page1.next ?? undefined);
    if ('error' in page2) throw new Error('history failed');
    expect(page2.entries.map((e) => e.txId)).toEqual([txIds[2], txIds[1]]);
    const page3 = fx.store.history(alice, 2, page2.next ?? undefined);
    if ('error' in page3) throw new Error('history failed');
    expect(page3).toEqual({ entries: [expect.objectContaining({ txId: txIds[0] })], next: null });
    expect(fx.store.history(alice, 100)).toMatchObject({ next: null });
    expect(fx.store.history(alice, 5)).toMatchObject({ next: null });
    expect(fx.store.history(alice, 2, bobTx)).toEqual({ error: 'UNKNOWN_TX' });
    expect(fx.store.history(alice, 2, 'T000000009999')).toEqual({ error: 'UNKNOWN_TX' });
    expect(fx.store.history(bob, 10)).toMatchObject({ entries: [{ txId: bobTx }], next: null });
  });
});

describe('close and export', () => {
  it('refuses to close a non-zero balance or an unknown account', () => {
    customer(fx.store, 'alice');
    okResult(apply(fx, 'alice', req({ op: 'deposit', amountCents: 1 })));
    expect(fx.store.closeAccount('alice')).toEqual({ ok: false, code: 'NONZERO_BALANCE' });
    expect(fx.store.closeAccount('nobody')).toEqual({ ok: false, code: 'UNKNOWN_ACCOUNT' });
    expect(fx.store.findAccount('alice')?.status).toBe('active');
  });

  it('anonymises a zero-balance account, keeps its entries, and frees the name', () => {
    const id = customer(fx.store, 'alice');
    customer(fx.store, 'bob');
    const cfg = config({ fraud: { largeAmountCents: 10, velocityCount: 10, velocityWindowSec: 60 } });
    okResult(apply(fx, 'alice', req({ op: 'deposit', amountCents: 500 }), { config: cfg }));
    okResult(apply(fx, 'alice', req({ op: 'transfer', amountCents: 500, to: 'bob' }), { config: cfg }));
    fx.store.setTotpPending(id, 'v1:t');
    okResult(apply(fx, 'alice', req({ op: 'update_contact', email: 'a@b.cd' }), { prepared: { emailSealed: 'v1:e' } }));
    expect(fx.store.closeAccount('alice')).toEqual({ ok: true });
    expect(fx.store.findAccount('alice')).toBeNull();
    const closed = fx.store.getAccount(id);
    expect(closed).toMatchObject({
      user: closedUserName(id),
      status: 'closed',
      emailSealed: null,
      phoneSealed: null,
      totpPendingSealed: null,
      totpSecretSealed: null,
      totpEnabled: false,
    });
    expect(closed?.passwordHash).not.toContain('placeholder');
    expect(fx.store.history(id, 10)).toMatchObject({ entries: [{ kind: 'transfer_out' }, { kind: 'deposit' }] });
    expect(fx.store.listAlerts().every((a) => a.user === closedUserName(id))).toBe(true);
    const bob = fx.store.findAccount('bob');
    const bobHistory = bob ? fx.store.history(bob.id, 1) : null;
    expect(bobHistory).toMatchObject({ entries: [{ counterparty: closedUserName(id) }] });
    expect(fx.store.closeAccount('alice')).toEqual({ ok: false, code: 'UNKNOWN_ACCOUNT' });
    expect(fx.store.setLocked('alice', false)).toBe(false);
    expect(fx.store.createAccount({ user: 'alice', passwordHash: 'new' }).ok).toBe(true);
    expect(fx.store.verify().ok).toBe(true);
  });

  it('exports what is held about a customer, sealed fields as stored, no credentials', () => {
    const id = customer(fx.store, 'alice');
    okResult(apply(fx, 'alice', req({ op: 'deposit', amountCents: 900 })));
    okResult(
      apply(fx, 'alice', req({ op: 'update_contact', phone: '+1 555 0100' }), { prepared: { phoneSealed: 'v1:p' } }),
    );
    fx.store.setTotpPending(id, 'v1:secret');
    const exported = fx.store.exportAccount('alice') as Record<string, unknown>;
    expect(exported).toMatchObject({
      user: 'alice',
      status: 'active',
      balanceCents: 900,
      emailSealed: null,
      phoneSealed: 'v1:p',
      totpEnabled: false,
      entries: [{ kind: 'deposit', amountCents: 900 }],
      fraudAlerts: [],
    });
    expect(exported.appliedRequests).toHaveLength(2);
    const text = JSON.stringify(exported);
    expect(text).not.toContain('placeholder');
    expect(text).not.toContain('v1:secret');
    expect(fx.store.exportAccount('nobody')).toBeNull();
  });
});

describe('applied ids and alerts', () => {
  it('keeps applied ids at least 24 h whatever the caller asks, and prunes older ones', () => {
    const id = customer(fx.store, 'alice');
    const old = req({ op: 'deposit', amountCents: 1 });
    okResult(apply(fx, 'alice', old));
    fx.clock.advance(23 * HOUR_MS);
    const recent = req({ op: 'deposit', amountCents: 1 });
    okResult(apply(fx, 'alice', recent));
    expect(fx.store.pruneApplied(HOUR_MS)).toBe(0);
    fx.clock.advance(2 * HOUR_MS);
    expect(fx.store.pruneApplied(HOUR_MS)).toBe(1);
    expect(fx.store.findApplied(id, old.id)).toBeNull();
    expect(fx.store.findApplied(id, recent.id)).not.toBeNull();
  });

  it('lists alerts newest first, limited', () => {
    customer(fx.store, 'alice');
    const cfg = config({ fraud: { largeAmountCents: 10, velocityCount: 100, velocityWindowSec: 60 } });
    for (const amountCents of [11, 12, 13])
      okResult(apply(fx, 'alice', req({ op: 'deposit', amountCents }), { config: cfg }));
    expect(fx.store.listAlerts({ limit: 2 }).map((a) => a.amountCents)).toEqual([13, 12]);
    expect(fx.store.listAlerts()).toHaveLength(3);
    expect(fx.store.listAlerts()[0]).toMatchObject({ rule: 'LARGE_AMOUNT', op: 'deposit', blocked: false });
  });
});

describe('a second process', () => {
  it('sees committed changes and can change accounts while the first holds the file open', () => {
    customer(fx.store, 'alice');
    const operator = openLedger(fx.path);
    expect(operator.setLocked('alice', true)).toBe(true);
    expect(fx.store.findAccount('alice')?.locked).toBe(true);
    // A locked account takes no mutation (§5.1); unlocked, it does.
    expect(operator.setLocked('alice', false)).toBe(true);
    okResult(apply(fx, 'alice', req({ op: 'deposit', amountCents: 77 })));
    expect(operator.listAccounts()[0]?.balanceCents).toBe(77);
    expect(operator.verify().ok).toBe(true);
    operator.close();
  });
});
