/** A throwaway bank-server for the bench: its data dir, its enrolled and loaded terminals, and its disposal. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BANK_SERVER_PROGRAM,
  compiledProgram,
  removeOnEarlyExit,
  runProgram,
  type SpawnedListener,
  spawnListening,
} from './spawned-process.js';

/**
 * Default durable settings, audit on, except two limits that a terminal sending 20+ requests a
 * second trips at once and a customer never would: the daily withdrawal limit and the fraud
 * velocity rule (10 debits a minute). With them at their defaults the bench would measure refusals
 * and fraud alerts, not transactions. The per-address login and registration limits are lifted
 * too, since every bench client comes from the same address.
 */
export const BANK_ARGS = [
  '--port',
  '0',
  '--admin-port',
  '0',
  '--allow-registration',
  '--daily-withdrawal-limit',
  '100000000000',
  '--fraud-velocity',
  '1000000000',
  // The bench opens its accounts from one address: the per-address limits would refuse most.
  '--max-registrations-per-hour',
  '1000000000',
  '--max-failed-logins-per-minute',
  '1000000000',
];
export const BENCH_PASSWORD = 'Bench-Pass-2024!';

/** Run tasks with at most `limit` in flight. */
export async function inBatches<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      for (let i = next++; i < count; i = next++) results[i] = await task(i);
    }),
  );
  return results;
}

/**
 * Enrolled bench terminals, each loaded with more cash than a run can take: sessions spread over
 * them, so cash movements do not all lock one terminal's cash row (as they once did the vault's).
 */
const BENCH_TERMINALS = 8;
const BENCH_TERMINAL_CASH = '100000000000.00';

export interface BenchTerminal {
  id: string;
  /** The terminal's certificate and key (PEM); absent where the server asks for none (the protocol floor). */
  cert?: string;
  key?: string;
}

export interface StartedBank {
  bank: SpawnedListener;
  dataDir: string;
  ca: string;
  terminals: BenchTerminal[];
  /** Stop the bank and delete its data dir. */
  dispose(): Promise<number | null>;
}

export async function startBank(extraArgs: string[], nodeArgs: string[] = []): Promise<StartedBank> {
  const dataDir = await mkdtemp(join(tmpdir(), 'secure-atm-bench-'));
  const keep = removeOnEarlyExit(dataDir);
  let bank: SpawnedListener | null = null;
  const dispose = async (): Promise<number | null> => {
    const code = bank ? await bank.stop() : null;
    await rm(dataDir, { recursive: true, force: true });
    keep();
    return code;
  };
  try {
    bank = await spawnListening(
      compiledProgram(BANK_SERVER_PROGRAM),
      ['start', '--data-dir', dataDir, ...BANK_ARGS, ...extraArgs],
      { nodeArgs },
    );
    const ca = await readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8');
    const terminals = await enrolBenchTerminals(dataDir);
    return { bank, dataDir, ca, terminals, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/**
 * `bank-server terminals enroll` and `load` for each bench terminal, against the running bank
 * (`ledgerArgs`: `--ledger <url>` when the ledger is not the data dir's).
 */
export async function enrolBenchTerminals(
  dataDir: string,
  ledgerArgs: readonly string[] = [],
): Promise<BenchTerminal[]> {
  const program = compiledProgram(BANK_SERVER_PROGRAM);
  return inBatches(BENCH_TERMINALS, 4, async (i) => {
    const id = `BENCH-${i + 1}`;
    await runProgram(program, ['terminals', 'enroll', id, '--data-dir', dataDir, ...ledgerArgs]);
    await runProgram(program, ['terminals', 'load', id, BENCH_TERMINAL_CASH, '--data-dir', dataDir, ...ledgerArgs]);
    const dir = join(dataDir, 'terminals');
    const [cert, key] = await Promise.all([
      readFile(join(dir, `${id}.crt`), 'utf8'),
      readFile(join(dir, `${id}.key`), 'utf8'),
    ]);
    return { id, cert, key };
  });
}
