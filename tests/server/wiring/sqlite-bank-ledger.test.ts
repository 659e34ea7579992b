import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryAudit } from '../../../audit/index.js';
import { DEFAULT_LEDGER_CONFIG, openLedger } from '../../../server/ledger/index.js';
import { readThreadCpu, threadStatPath } from '../../../server/thread-cpu.js';
import type { BankLedger } from '../../../server/wiring/bank-ledger.js';
import { openBankLedger } from '../../../server/wiring/open-bank-ledger.js';

const KEY = new Uint8Array(32).fill(7);

describe.each([
  { worker: true, where: 'the worker thread' },
  { worker: false, where: 'the main thread' },
])('the embedded ledger with its writer on $where', ({ worker }) => {
  let dir = '';
  let bank: BankLedger | null = null;
  afterEach(async () => {
    await bank?.closeWriter();
    await bank?.close();
    bank = null;
    await rm(dir, { recursive: true, force: true });
  });

  async function open(batches: number[]): Promise<BankLedger> {
    dir = await mkdtemp(join(tmpdir(), 'secure-atm-bank-ledger-'));
    bank = await openBankLedger({
      url: undefined,
      dataDirLedger: join(dir, 'ledger.db'),
      instanceId: 'main',
      requestHashKey: KEY,
      config: DEFAULT_LEDGER_CONFIG,
      worker,
      lockout: { threshold: 3, lockoutMs: 60_000 },
      clock: Date.now,
      passClock: false,
      hooks: { onBatch: (size) => batches.push(size) },
      onError: (err) => {
        throw err;
      },
    });
    return bank;
  }

  it('names the stat file of the thread that commits: the worker thread, or none on the main thread', async () => {
    const ledger = await open([]);
    const main = threadStatPath();
    if (!worker) {
      expect(ledger.writerThreadStat).toBeNull();
      return;
    }
    // Another thread of this process: its own task entry, whose CPU time can be read from here.
    expect(ledger.writerThreadStat).toMatch(new RegExp(`^/proc/${process.pid}/task/\\d+/stat$`));
    expect(ledger.writerThreadStat).not.toBe(main);
    const cpu = readThreadCpu(ledger.writerThreadStat ?? '');
    expect(cpu?.userSeconds).toBeGreaterThanOrEqual(0);
  });

  it('registers a new account as a writer job, and a taken name as USER_EXISTS', async () => {
    const batches: number[] = [];
    const ledger = await open(batches);
    const created = await ledger.registrar.createAccount({ user: 'neo', passwordHash: '$2b$04$hash' });
    expect(created.ok && created.account.user).toBe('neo');
    // The write was one job of the serialised writer, not a statement on the readers' connection.
    expect(batches).toEqual([1]);
    expect((await ledger.store.findAccount('neo'))?.id).toBe(created.ok ? created.account.id : -1);
    expect(await ledger.registrar.createAccount({ user: 'neo', passwordHash: '$2b$04$other' })).toEqual({
      ok: false,
      code: 'USER_EXISTS',
    });
    expect(batches).toEqual([1, 1]);
    expect((await ledger.store.findAccount('neo'))?.passwordHash).toBe('$2b$04$hash');
  });

  it('prunes, acknowledges operator actions and deletes logged outbox rows as writer jobs', async () => {
    const batches: number[] = [];
    const ledger = await open(batches);
    const readers = ledger.sqliteStore?.database;
    if (!readers) throw new Error('the embedded ledger has its store');
    const changesOfReaders = () => (readers.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const before = changesOfReaders();
    // What the operator CLI leaves for the server: an action to audit, and outbox rows a crashed run logged.
    const cli = openLedger(join(dir, 'ledger.db'));
    cli.enqueueOperatorAction({ action: 'lock', user: 'neo' });
    const outboxId = Number(
      cli.database.prepare("INSERT INTO audit_outbox (event) VALUES ('{}')").run().lastInsertRowid,
    );
    cli.close();
    const audit = createMemoryAudit();
    const drain = ledger.outbox(audit, (err) => {
      throw err;
    });
    expect(await ledger.auditOperatorActions(audit, drain)).toBe(1);
    expect(await ledger.auditOperatorActions(audit, drain)).toBe(0);
    const log = join(dir, 'audit.log');
    await writeFile(log, `${JSON.stringify({ seq: 1, kind: 'request', detail: { outbox: outboxId } })}\n`);
    expect(await drain.recover(log)).toEqual({ alreadyLogged: 1, pending: 0 });
    await ledger.prune(24 * 3600 * 1000);
    // Acknowledgement, outbox delete, the two prunes: each a job of the writer.
    expect(batches.length).toBeGreaterThanOrEqual(4);
    // With the writer on its own thread, the readers' connection wrote nothing at all.
    if (worker) expect(changesOfReaders()).toBe(before);
    await drain.close();
  });
});
