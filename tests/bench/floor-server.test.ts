import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchLink } from '../../atm-client/bench/bench-link.js';
import { openBenchSession } from '../../atm-client/bench/bench-session.js';
import {
  BANK_SERVER_PROGRAM,
  compiledProgram,
  FLOOR_PROGRAM,
  runProgram,
  type SpawnedListener,
  spawnListening,
} from '../../atm-client/bench/spawned-process.js';

// The bench's protocol floor (compiled, real TLS on port 0): the real handshake and sealed frames,
// balances from memory, and with --journal every mutation durable in the file before its answer.
describe('protocol floor server', () => {
  let dir: string;
  let floor: SpawnedListener;
  let ca: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secure-atm-floor-'));
    await runProgram(compiledProgram(BANK_SERVER_PROGRAM), ['init', '--data-dir', dir]);
    ca = await readFile(join(dir, 'tls', 'ca.crt'), 'utf8');
    floor = await spawnListening(
      compiledProgram(FLOOR_PROGRAM),
      [
        '--cert',
        join(dir, 'tls', 'server.crt'),
        '--key',
        join(dir, 'tls', 'server.key'),
        '--journal',
        join(dir, 'journal.log'),
      ],
      { stdinPipe: true },
    );
  }, 60_000);
  afterAll(async () => {
    await floor?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers the mix from memory and journals each mutation before answering it', async () => {
    const open = async (user: string) =>
      openBenchSession(await BenchLink.open({ host: '127.0.0.1', port: floor.port, ca }), {
        user,
        password: 'Floor-Pass-2024!',
        method: 'register',
        terminal: 'FLOOR-1',
      });
    const alice = await open('alice');
    const bob = await open('bob');
    try {
      expect(await alice.call({ id: 'd1', op: 'deposit', amountCents: 500 })).toMatchObject({
        ok: true,
        result: { balanceCents: 500 },
      });
      expect(await alice.call({ id: 'w1', op: 'withdraw', amountCents: 200 })).toMatchObject({
        ok: true,
        result: { balanceCents: 300 },
      });
      expect(await alice.call({ id: 't1', op: 'transfer', amountCents: 100, to: 'bob' })).toMatchObject({
        ok: true,
        result: { balanceCents: 200 },
      });
      expect(await alice.call({ id: 'w2', op: 'withdraw', amountCents: 201 })).toEqual({
        ok: false,
        code: 'INSUFFICIENT_FUNDS',
      });
      expect(await bob.call({ id: 'b1', op: 'balance' })).toMatchObject({ ok: true, result: { balanceCents: 100 } });
      const journal = (await readFile(join(dir, 'journal.log'), 'utf8')).trim().split('\n');
      expect(journal.map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(['d1', 'w1', 't1']);
    } finally {
      alice.close();
      bob.close();
    }
  });
});
