/**
 * `npm run cluster:dev`: a throwaway bank of three instances on one PostgreSQL ledger, on loopback.
 * Starts PostgreSQL in a temp dir, makes one data dir per instance (the first by `init`, the
 * others by `init --from` it: its keys and CAs), enrols terminal ATM-CLUSTER with cash, creates account
 * `demo`, starts instances a, b and c and prints where ATMs connect. Ctrl-C stops the instances
 * (each closes its audit chain), then PostgreSQL, and removes everything.
 *
 * `--smoke`: once all three serve, run a deposit on a, the same request id again on b (a replay)
 * and a balance on c through the real `atm exec`, print the outcomes, stop and exit (used by the
 * test of this script, and a quick check that a machine can run several instances).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createPasswordHasher, generateStrongPassword } from '../auth/index.js';
import { dataDirPaths } from '../data-dir.js';
import { DEFAULT_LEDGER_CONFIG } from '../ledger/index.js';
import { PostgresLedger } from '../ledger/postgres/postgres-ledger.js';
import { issueTerminalCertificate, loadTerminalCa, writeFileAtomic } from '../tls/index.js';
import { startPostgresCluster } from './throwaway-postgres.js';

const DIST = resolve(import.meta.dirname, '..', '..');
const BANK_SERVER = join(DIST, 'server', 'cli', 'main.js');
const ATM = join(DIST, 'atm-client', 'cli', 'main.js');
const INSTANCES = ['a', 'b', 'c'] as const;
const TERMINAL = 'ATM-CLUSTER';

interface Instance {
  id: string;
  dataDir: string;
  proc: ChildProcess;
  port: number;
  adminPort: number;
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const proc = spawn(process.execPath, [bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    proc.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    proc.once('close', (code) => done({ code, out: out.trim() }));
  });
}

function startInstance(id: string, dataDir: string, url: string): Promise<Instance> {
  const proc = spawn(
    process.execPath,
    [
      BANK_SERVER,
      'start',
      '--data-dir',
      dataDir,
      '--ledger',
      url,
      '--instance-id',
      id,
      '--port',
      '0',
      '--admin-port',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((done, fail) => {
    let buffer = '';
    let err = '';
    proc.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    proc.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const o = JSON.parse(line) as { msg?: string; port?: number; adminPort?: number };
          if (o.msg === 'listening' && typeof o.port === 'number' && typeof o.adminPort === 'number') {
            done({ id, dataDir, proc, port: o.port, adminPort: o.adminPort });
          }
        } catch {
          // not a JSON line
        }
      }
    });
    proc.once('exit', (code) => fail(new Error(`instance ${id} exited with ${code}: ${err.trim()}`)));
  });
}

function stopInstance(instance: Instance): Promise<number | null> {
  if (instance.proc.exitCode !== null) return Promise.resolve(instance.proc.exitCode);
  return new Promise((done) => {
    instance.proc.once('exit', (code) => done(code));
    instance.proc.kill('SIGTERM');
  });
}

async function main(argv: string[]): Promise<number> {
  const smoke = argv.includes('--smoke');
  const root = await mkdtemp(join(tmpdir(), 'secure-atm-cluster-'));
  const cluster = await startPostgresCluster();
  const instances: Instance[] = [];
  const cleanUp = async () => {
    const codes = await Promise.all(instances.map(stopInstance));
    cluster.stop();
    await rm(root, { recursive: true, force: true });
    return codes;
  };
  try {
    const url = await cluster.createDatabase('bank');
    const dirs = INSTANCES.map((id) => join(root, `instance-${id}`));
    const init = await run(BANK_SERVER, ['init', '--data-dir', dirs[0] as string]);
    if (init.code !== 0) throw new Error(`bank-server init: ${init.out}`);
    // The other instances share the first one's keys and CAs (init --from): one bank, several machines.
    for (const dir of dirs.slice(1)) {
      const from = await run(BANK_SERVER, ['init', '--from', dirs[0] as string, '--data-dir', dir]);
      if (from.code !== 0) throw new Error(`bank-server init --from: ${from.out}`);
    }

    // A terminal and an account on the shared ledger (what an operator does with the CLI).
    const ledger = await PostgresLedger.open(url, { config: DEFAULT_LEDGER_CONFIG, poolSize: 1 });
    const password = generateStrongPassword();
    const hasher = createPasswordHasher({ cost: 10, workers: 1 });
    try {
      const paths = dataDirPaths(dirs[0] as string);
      const issued = await issueTerminalCertificate(await loadTerminalCa(paths), {
        id: TERMINAL,
        days: 30,
        now: new Date(),
      });
      await writeFileAtomic(join(root, `${TERMINAL}.crt`), issued.cert, 0o600);
      await writeFileAtomic(join(root, `${TERMINAL}.key`), issued.key as string, 0o600);
      await ledger.enrollTerminal({ id: TERMINAL, fingerprint: issued.fingerprint });
      await ledger.moveTerminalCash({ id: TERMINAL, kind: 'load', amountCents: 10_000_000 });
      await ledger.createAccount({ user: 'demo', passwordHash: await hasher.hash(password) });
    } finally {
      await hasher.close();
      await ledger.close();
    }
    for (const [k, id] of INSTANCES.entries()) instances.push(await startInstance(id, dirs[k] as string, url));

    const ca = join(dirs[0] as string, 'tls', 'ca.crt');
    const connect = (instance: Instance) => [
      '--host',
      '127.0.0.1',
      '--port',
      String(instance.port),
      '--ca',
      ca,
      '--terminal-cert',
      join(root, `${TERMINAL}.crt`),
      '--terminal-key',
      join(root, `${TERMINAL}.key`),
    ];
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`PostgreSQL ledger: ${url}`);
    for (const instance of instances) {
      out(
        `instance ${instance.id}: ATMs connect to 127.0.0.1:${instance.port}, admin http://127.0.0.1:${instance.adminPort}/status, data dir ${instance.dataDir}`,
      );
    }
    out(`account demo, password ${password}; terminal ${TERMINAL} with 100,000.00 in cash`);
    out(
      `try:  ATM_PASSWORD='${password}' node dist/atm-client/cli/main.js exec ${connect(instances[1] as Instance).join(' ')} --user demo balance`,
    );

    if (smoke) {
      const env = { ATM_PASSWORD: password };
      const atm = (instance: Instance, ...args: string[]) =>
        run(ATM, ['exec', '--json', ...connect(instance), '--user', 'demo', ...args], env);
      const [a, b, c] = instances as [Instance, Instance, Instance];
      for (const [label, result] of [
        ['deposit on a', await atm(a, 'deposit', '25.00', '--id', 'cluster-smoke-1')],
        ['same id on b', await atm(b, 'deposit', '25.00', '--id', 'cluster-smoke-1')],
        ['balance on c', await atm(c, 'balance')],
      ] as const) {
        out(`smoke: ${label}: exit ${result.code} ${result.out.replace(/\s+/g, ' ')}`);
        if (result.code !== 0) throw new Error(`smoke step failed: ${label}`);
      }
    } else {
      out('Ctrl-C stops the instances and PostgreSQL and removes everything.');
      await new Promise<void>((done) => {
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
    }
    const codes = await cleanUp();
    out(`stopped: ${INSTANCES.map((id, k) => `${id} exit ${codes[k]}`).join(', ')}`);
    return codes.every((code) => code === 0) ? 0 : 1;
  } catch (err) {
    await cleanUp().catch(() => {});
    process.stderr.write(`cluster:dev: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
