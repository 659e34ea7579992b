import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { RawClient } from '../../helpers/raw-client.js';
import { atTerminal, startTestBank, withLedger } from '../../helpers/test-bank.js';

const PASSWORD = 'Correct-Horse-42!';

// The bank wires its writer either on a worker thread (default) or on the main thread
// (--no-ledger-worker); both must keep the same contract towards a session.
describe.each([
  { ledgerWorker: true, where: 'on the worker thread' },
  { ledgerWorker: false, where: 'on the main thread' },
])('a bank with its ledger writer $where', ({ ledgerWorker }) => {
  it('answers mutations after they commit, replays retries, and stops cleanly', async () => {
    const bank = await startTestBank({ ledgerWorker });
    try {
      const client = await RawClient.connect({ ...atTerminal(bank) });
      const reply = await client.hello({ user: 'erin', password: PASSWORD, method: 'register' });
      expect(reply.kind).toBe('welcome');
      // Pipelined: the balance is read on the main connection right after the deposit's commit.
      const ids = [
        client.send({ op: 'deposit', amountCents: 500 }),
        client.send({ op: 'balance' }),
        client.send({ op: 'withdraw', amountCents: 200 }),
        client.send({ op: 'balance' }),
      ];
      const answers = [];
      for (const _ of ids) answers.push(await client.receive());
      expect(answers.map((a) => a?.id)).toEqual(ids);
      expect(answers[1]).toMatchObject({ ok: true, result: { balanceCents: 500 } });
      expect(answers[3]).toMatchObject({ ok: true, result: { balanceCents: 300 } });
      const retry = await client.call({ id: ids[0], op: 'deposit', amountCents: 500 });
      expect(retry).toMatchObject({ ok: true, result: { replayed: true } });
      client.destroy();
    } finally {
      await bank.dispose({ keepDir: true });
    }
    // Stopped: every acknowledged change is in the file and the books balance.
    try {
      withLedger(bank, (store) => {
        expect(store.balance(store.findAccount('erin')?.id ?? -1)).toBe(300);
        expect(store.verify().ok).toBe(true);
      });
    } finally {
      await rm(bank.dataDir, { recursive: true, force: true });
    }
  });
});
