import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import type { CliIo } from '../../audit/cli/cli-io.js';
import { runBankAudit } from '../../audit/cli/program.js';
import { type AuditEventInput, type AuditLogOptions, generateAuditorKeyPair, openAuditLog } from '../../audit/index.js';

export interface AuditKeysForTest {
  auditorPublicKey: Uint8Array;
  auditorSecretKey: Uint8Array;
  signingSecretKey: Uint8Array;
}

export function makeKeys(): AuditKeysForTest {
  const auditor = generateAuditorKeyPair();
  return {
    auditorPublicKey: auditor.publicKey,
    auditorSecretKey: auditor.secretKey,
    signingSecretKey: nacl.sign.keyPair().secretKey,
  };
}

const made: string[] = [];

export async function tempDir(prefix = 'audit-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** An event of each shape the server records. */
export function sampleEvent(n: number): AuditEventInput {
  switch (n % 4) {
    case 0:
      return { kind: 'login', actor: `user${n % 3}`, address: '127.0.0.1', terminal: 'T-1', outcome: 'ok' };
    case 1:
      return {
        kind: 'request',
        actor: `user${n % 3}`,
        sessionId: `s${n}`,
        op: 'withdraw',
        amountCents: 1000 + n,
        outcome: 'ok',
        balanceAfterCents: 50_000 - n,
        txId: `tx-${n}`,
        requestId: `r-${n}`,
      };
    case 2:
      return {
        kind: 'request',
        actor: `user${n % 3}`,
        op: 'deposit',
        amountCents: 99,
        outcome: 'error',
        code: 'INVALID_AMOUNT',
      };
    default:
      return { kind: 'session_close', actor: `user${n % 3}`, detail: { reason: 'idle', frames: n } };
  }
}

/** The auditor's secret key and the signing public key as key files in `dataDir`, for the CLI. */
export async function writeVerifierKeys(
  dataDir: string,
  keys: AuditKeysForTest,
): Promise<{ key: string; signer: string }> {
  const key = await writeKeyFileForTest(dataDir, 'auditor.key', 'auditor-secret-x25519', keys.auditorSecretKey);
  const signer = await writeKeyFileForTest(
    dataDir,
    'audit-signing.pub',
    'audit-signing-ed25519-public',
    keys.signingSecretKey.subarray(32),
  );
  return { key, signer };
}

/** A real log in `dir` with the test keys; `extra` adds or overrides options. */
export function openLogWith(dir: string, keys: AuditKeysForTest, extra: Partial<AuditLogOptions> = {}) {
  return openAuditLog({
    dir,
    auditorPublicKey: keys.auditorPublicKey,
    signingSecretKey: keys.signingSecretKey,
    ...extra,
  });
}

/**
 * Write `count` events through a real log (flushing every `flushEvery`, so there are
 * checkpoints in between) and close it unless `close` is false.
 */
export async function writeLog(
  dir: string,
  keys: AuditKeysForTest,
  count: number,
  options: { flushEvery?: number; close?: boolean; extra?: Partial<AuditLogOptions>; first?: number } = {},
) {
  const log = await openLogWith(dir, keys, options.extra);
  const flushEvery = options.flushEvery ?? 5;
  for (let n = 0; n < count; n++) {
    log.record(sampleEvent((options.first ?? 0) + n));
    if ((n + 1) % flushEvery === 0) await log.flush();
  }
  if (options.close ?? true) await log.close();
  else await log.flush();
  return log;
}

export async function segmentFiles(dir: string): Promise<string[]> {
  const segDir = join(dir, 'segments');
  return (await readdir(segDir))
    .filter((n) => n.endsWith('.enc'))
    .sort()
    .map((n) => join(segDir, n));
}

export async function readLinesOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return text.split('\n').slice(0, -1);
}

export async function writeLinesOf(file: string, lines: string[]): Promise<void> {
  await writeFile(file, lines.map((l) => `${l}\n`).join(''));
}

export async function writeKeyFileForTest(dir: string, name: string, type: string, key: Uint8Array): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, `${type}:${Buffer.from(key).toString('base64')}\n`, { mode: 0o600 });
  return file;
}

/** Run bank-audit in-process, capturing stdout and stderr lines. */
export async function runCli(args: string[], signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: {},
    ...(signal ? { signal } : {}),
  };
  const code = await runBankAudit(args, io);
  return { code, out, err };
}
