import { webcrypto, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMemoryAudit } from '../../../audit/index.js';
import { runOperator, until } from '../../helpers/operator-cli.js';
import { RawClient } from '../../helpers/raw-client.js';
import { suiteBank, type TestBank } from '../../helpers/test-bank.js';
import { at, codeOf, PASSWORD, register, resultOf } from './terminal-fixture.js';

async function terminalFiles(bank: TestBank, id: string, dir = join(bank.dataDir, 'terminals')) {
  return {
    id,
    cert: await readFile(join(dir, `${id}.crt`), 'utf8'),
    key: await readFile(join(dir, `${id}.key`), 'utf8'),
  };
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** What an ATM does to keep its key: make a key pair and a PKCS#10 request, export the key. */
async function atmRequest(cn: string): Promise<{ csr: string; key: string }> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${cn}`, keys, signingAlgorithm: ALG });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)?.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { csr: csr.toString('pem'), key };
}

describe('bank-server terminals (against a running server)', () => {
  const audit = createMemoryAudit();
  const bank = suiteBank({}, { audit });
  beforeAll(async () => {
    await register(bank, 'alice');
  });

  it('enroll writes <id>.crt and a 0600 <id>.key under <data-dir>/terminals with CN = id, and list shows it', async () => {
    const run = await runOperator(bank, 'terminals', 'enroll', 'ATM-0001', '--days', '30');
    expect(run.code).toBe(0);
    const certPath = join(bank.dataDir, 'terminals', 'ATM-0001.crt');
    const keyPath = join(bank.dataDir, 'terminals', 'ATM-0001.key');
    expect(run.out).toEqual(expect.arrayContaining([`certificate: ${certPath}`, `key:         ${keyPath}`]));
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(await readFile(certPath));
    expect(cert.subject.split('\n')).toContain('CN=ATM-0001');
    expect(Date.parse(cert.validTo) - Date.now()).toBeLessThan(31 * 86_400_000);
    const list = await runOperator(bank, 'terminals', 'list', '--json');
    const row = (JSON.parse(list.out[0] ?? '[]') as Array<Record<string, unknown>>).find((t) => t.id === 'ATM-0001');
    expect(row).toEqual({
      id: 'ATM-0001',
      status: 'active',
      cashCents: 0,
      enrolledAt: expect.any(String),
      revokedAt: null,
      fingerprint: cert.fingerprint256,
    });
    const table = await runOperator(bank, 'terminals', 'list');
    expect(table.out[0]).toMatch(/^TERMINAL\s+STATUS\s+CASH/);
    expect(table.out.some((line) => line.startsWith('ATM-0001') && line.includes('active'))).toBe(true);
    await until(() =>
      audit.events.some(
        (e) => e.kind === 'operator_action' && (e.detail as { action?: string }).action === 'terminal_enroll',
      ),
    );
  });

  it('enroll --csr signs the ATM request: no key is written and the ATM key opens a terminal session', async () => {
    const request = await atmRequest('ATM-CSR');
    const csrPath = join(bank.dataDir, 'atm-csr.pem');
    await writeFile(csrPath, request.csr);
    const outDir = join(bank.dataDir, 'csr-out');
    const run = await runOperator(bank, 'terminals', 'enroll', 'ATM-CSR', '--csr', csrPath, '--out', outDir);
    expect(run.code).toBe(0);
    expect(existsSync(join(outDir, 'ATM-CSR.key'))).toBe(false);
    const cert = await readFile(join(outDir, 'ATM-CSR.crt'), 'utf8');
    const client = await RawClient.connect({ port: bank.port, ca: bank.caCert, cert, key: request.key });
    const reply = await client.hello({ user: 'alice', password: PASSWORD, terminal: 'ATM-CSR' });
    client.destroy();
    expect(reply.kind).toBe('welcome');
    // A request that names another terminal, or junk, is one line and exit 1.
    const other = await atmRequest('ATM-NOT-THIS');
    await writeFile(csrPath, other.csr);
    const wrong = await runOperator(bank, 'terminals', 'enroll', 'ATM-CSR2', '--csr', csrPath);
    expect(wrong).toMatchObject({ code: 1, err: [expect.stringMatching(/names CN=ATM-NOT-THIS, not ATM-CSR2/)] });
    await writeFile(csrPath, 'junk');
    expect((await runOperator(bank, 'terminals', 'enroll', 'ATM-CSR3', '--csr', csrPath)).err).toHaveLength(1);
  });

  it('bad ids, unknown terminals and bad amounts are one stderr line and exit 1', async () => {
    for (const args of [
      ['enroll', 'bad id!'],
      ['revoke', 'ATM-NOPE'],
      ['load', 'ATM-NOPE', '10.00'],
      ['load', 'ATM-0001', '12.345'],
      ['load', 'ATM-0001', '-5'],
      ['count', 'ATM-NOPE', '1'],
      ['report', '--day', '2026-13-01'],
    ]) {
      const run = await runOperator(bank, 'terminals', ...args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.err, args.join(' ')).toHaveLength(1);
      expect(run.err[0]).toMatch(/^bank-server: /);
    }
  });

  it('load, unload and count move and record cash in decimal amounts; an unload beyond the cash is refused', async () => {
    expect(await runOperator(bank, 'terminals', 'load', 'ATM-0001', '500.00')).toMatchObject({
      code: 0,
      out: ['loaded 500.00 into ATM-0001; it holds 500.00'],
    });
    const over = await runOperator(bank, 'terminals', 'unload', 'ATM-0001', '600');
    expect(over).toMatchObject({ code: 1, err: ['bank-server: terminal ATM-0001 holds only 500.00'] });
    expect((await runOperator(bank, 'terminals', 'unload', 'ATM-0001', '200.5')).out).toEqual([
      'unloaded 200.50 from ATM-0001; it holds 299.50',
    ]);
    expect((await runOperator(bank, 'terminals', 'count', 'ATM-0001', '299.50')).out).toEqual([
      'counted 299.50 in ATM-0001; the ledger says 299.50 (matches)',
    ]);
    const verify = await runOperator(bank, 'ledger', 'verify');
    expect(verify.code).toBe(0);
  });

  it('report: totals per terminal and for the bank match what happened; a count that differs exits 1 naming the terminal', async () => {
    expect((await runOperator(bank, 'terminals', 'enroll', 'ATM-R')).code).toBe(0);
    expect((await runOperator(bank, 'terminals', 'load', 'ATM-R', '1000.00')).code).toBe(0);
    const atm = await at(bank, 'alice', await terminalFiles(bank, 'ATM-R'));
    expect(codeOf(await atm.call({ op: 'deposit', amountCents: 20_000 }))).toBe('OK');
    const w1 = resultOf(await atm.call({ op: 'withdraw', amountCents: 5_000 }));
    expect(codeOf(await atm.call({ op: 'withdraw', amountCents: 5_000 }))).toBe('OK');
    expect(codeOf(await atm.call({ op: 'reverse', txId: w1.txId, reason: 'NOT_DISPENSED' }))).toBe('OK');
    atm.destroy();
    expect((await runOperator(bank, 'terminals', 'unload', 'ATM-R', '100')).code).toBe(0);

    // No count yet: the report cannot fail for ATM-R, and says so.
    const uncounted = await runOperator(bank, 'terminals', 'report', '--json');
    expect(uncounted.code).toBe(0);
    const report = JSON.parse(uncounted.out[0] ?? '{}') as {
      day: string;
      terminals: Array<Record<string, unknown>>;
      byTeller: unknown[];
      bank: Record<string, { count: number; cents: number } | number | null>;
    };
    expect(report.day).toBe(new Date().toISOString().slice(0, 10));
    const row = report.terminals.find((t) => t.id === 'ATM-R');
    expect(row).toEqual({
      id: 'ATM-R',
      deposits: { count: 1, cents: 20_000 },
      withdrawals: { count: 2, cents: 10_000 },
      reversals: { count: 1, cents: 5_000 },
      loads: { count: 1, cents: 100_000 },
      unloads: { count: 1, cents: 10_000 },
      openingCashCents: 0,
      closingCashCents: 105_000,
      countedCashCents: null,
      differenceCents: null,
      reconciled: null,
      positionMatchesEntries: true,
    });
    expect(report.byTeller).toEqual([]);
    const sum = (key: string) => report.terminals.reduce((acc, t) => acc + (t[key] as { cents: number }).cents, 0);
    for (const key of ['deposits', 'withdrawals', 'reversals', 'loads', 'unloads']) {
      expect((report.bank[key] as { cents: number }).cents, key).toBe(sum(key));
    }
    expect(report.bank.closingCashCents).toBe(report.terminals.reduce((a, t) => a + (t.closingCashCents as number), 0));
    const text = await runOperator(bank, 'terminals', 'report');
    expect(text.code).toBe(0);
    expect(text.out.join('\n')).toMatch(/not counted today: .*ATM-R/);

    expect((await runOperator(bank, 'terminals', 'count', 'ATM-R', '1050.00')).code).toBe(0);
    const counted = JSON.parse(
      (await runOperator(bank, 'terminals', 'report', '--json')).out[0] ?? '{}',
    ) as typeof report;
    expect(counted.terminals.find((t) => t.id === 'ATM-R')).toMatchObject({
      countedCashCents: 105_000,
      differenceCents: 0,
      reconciled: true,
    });

    // The operator counts 20.00 short: exit 1, naming the machine.
    expect((await runOperator(bank, 'terminals', 'count', 'ATM-R', '1030')).code).toBe(0);
    const short = await runOperator(bank, 'terminals', 'report');
    expect(short.code).toBe(1);
    expect(short.err).toEqual(['bank-server: not reconciled: ATM-R']);
    expect(short.out.join('\n')).toMatch(/ATM-R: counted cash differs from the ledger by -20\.00/);

    // Another day saw none of it.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const before = JSON.parse(
      (await runOperator(bank, 'terminals', 'report', '--day', yesterday, '--json')).out[0] ?? '{}',
    ) as typeof report;
    expect(before.terminals.find((t) => t.id === 'ATM-R')).toMatchObject({
      deposits: { count: 0, cents: 0 },
      openingCashCents: 0,
      closingCashCents: 0,
      countedCashCents: null,
    });
  });
});
