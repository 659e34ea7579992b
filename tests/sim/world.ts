import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  enrollTerminal,
  findTerminal,
  type LedgerStore,
  moveTerminalCash,
  openLedger,
} from '../../server/ledger/index.js';
import { Oracle, SimViolation } from './oracle.js';
import { Prng } from './prng.js';
import { SimAtm } from './sim-atm.js';
import { SimAuditDisk } from './sim-audit.js';
import { drawProfile, expMs, type FaultProfile, KNOWN_GAPS, type SimOptions } from './sim-config.js';
import { SimLoop, US_PER_MS } from './sim-loop.js';
import { SimServer, type SimTerminal } from './sim-server.js';

/** 2026-03-10T23:40:00Z: the first UTC midnight (daily limits) comes early in a run. */
const WALL_START_MS = Date.UTC(2026, 2, 10, 23, 40, 0);

export interface SimStats {
  crashes: number;
  requests: number;
  acked: number;
  replays: number;
  refused: number;
  unconfirmed: number;
  resends: number;
  connects: number;
  cuts: number;
  duplicates: number;
  turns: number;
  batchFailures: number;
  jobErrors: number;
  diskFull: number;
  clockJumps: number;
  operatorActions: number;
  /** Operator loads, unloads and re-enrolments of terminals. */
  cashActions: number;
  lockRefusals: number;
  terminalRequired: number;
  outOfCash: number;
  reversals: number;
  /** Reversals refused UNKNOWN_TX (mostly: of a withdrawal another terminal dispensed). */
  reversalsUnknown: number;
  /** Outbox rows a start found committed but not in the audit log, and drained. */
  outboxRecovered: number;
}

/** Machines per ATM customer: several customers share a terminal, each machine has its own cash. */
const CUSTOMERS_PER_TERMINAL = 6;

export interface SimResult {
  ok: boolean;
  /** What `npm run sim` prints. */
  output: string;
  stats: SimStats;
  violation: string | null;
}

/** Everything one run shares: the loop, the one PRNG, the server, the ATMs and the checks. */
export class World {
  readonly loop = new SimLoop();
  readonly rng: Prng;
  readonly profile: FaultProfile;
  readonly stats: SimStats = {
    crashes: 0,
    requests: 0,
    acked: 0,
    replays: 0,
    refused: 0,
    unconfirmed: 0,
    resends: 0,
    connects: 0,
    cuts: 0,
    duplicates: 0,
    turns: 0,
    batchFailures: 0,
    jobErrors: 0,
    diskFull: 0,
    clockJumps: 0,
    operatorActions: 0,
    cashActions: 0,
    lockRefusals: 0,
    terminalRequired: 0,
    outOfCash: 0,
    reversals: 0,
    reversalsUnknown: 0,
    outboxRecovered: 0,
  };
  readonly auditDisk = new SimAuditDisk();
  readonly requestHashKey: Uint8Array;
  readonly ledgerPath: string;
  readonly users: string[] = [];
  readonly terminalIds: string[] = [];
  /** Each terminal's certificate on record (the operator re-enrols with a new one now and then). */
  private readonly certificates = new Map<string, SimTerminal>();
  private enrolments = 0;
  readonly server: SimServer;
  readonly oracle: Oracle;
  stopping = false;
  private clockOffsetMs = 0;
  private linkIds = 0;
  readonly dir: string;
  private readonly operator: LedgerStore;
  private readonly accountIds = new Map<string, number>();
  private readonly atms: SimAtm[] = [];
  private readonly traceRing: string[] = [];
  private readonly traceHash = createHash('sha256');
  private readonly lockedUsers = new Set<string>();

  constructor(readonly options: SimOptions) {
    this.rng = new Prng(options.seed);
    this.profile = { ...drawProfile(this.rng), ...options.profile };
    this.requestHashKey = Uint8Array.from({ length: 32 }, () => this.rng.int(0, 255));
    const base = options.dir ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
    this.dir = mkdtempSync(join(base, 'secure-atm-sim-'));
    this.ledgerPath = join(this.dir, 'ledger.db');
    // The operator's connection (the CLI is another process): locks accounts, and is the
    // outside observer every invariant reads the committed state through.
    this.operator = openLedger(this.ledgerPath, { clock: this.wallMs });
    for (let i = 1; i <= options.atms; i++) {
      const user = `atm${String(i).padStart(4, '0')}`;
      const created = this.operator.createAccount({ user, passwordHash: '$2b$04$simulated' });
      if (!created.ok) throw new Error(`could not create ${user}`);
      this.users.push(user);
      this.accountIds.set(user, created.account.id);
    }
    const terminals = Math.max(2, Math.ceil(options.atms / CUSTOMERS_PER_TERMINAL));
    for (let i = 1; i <= terminals; i++) {
      const id = `SIM-${String(i).padStart(3, '0')}`;
      this.terminalIds.push(id);
      this.enroll(id);
    }
    this.server = new SimServer(this);
    this.oracle = new Oracle(
      this.operator.database,
      (user) => this.accountIds.get(user),
      new Set(options.strict ?? []),
      this.wallMs,
      this.server.config,
      (terminal) => this.certificates.get(terminal)?.fingerprint,
      () => ({ epoch: this.server.epoch, realMs: this.loop.nowUs / US_PER_MS }),
    );
    // The operator fills every machine before the bank opens.
    for (const id of this.terminalIds) this.moveCash(id, 'load', this.profile.initialCashCents);
  }

  /** The certificate a machine holds now. */
  terminalCertificate(id: string): SimTerminal {
    const certificate = this.certificates.get(id);
    if (!certificate) throw new Error(`no terminal ${id}`);
    return certificate;
  }

  /** `bank-server terminals enroll <id>`: a new certificate; the old one moves no more cash. */
  private enroll(id: string): void {
    const fingerprint = createHash('sha256')
      .update(`${this.options.seed}:${id}:${++this.enrolments}`)
      .digest('hex');
    enrollTerminal(this.operator, { id, fingerprint, nowIso: new Date(this.wallMs()).toISOString() });
    this.certificates.set(id, { id, fingerprint });
  }

  /** `bank-server terminals load|unload <id> <amount>` from another process. */
  private moveCash(id: string, kind: 'load' | 'unload', amountCents: number): void {
    const moved = moveTerminalCash(this.operator, { id, kind, amountCents, nowMs: this.wallMs() });
    if (moved.ok) this.oracle.claimOperator(moved.txSeq, `${kind} ${id}`);
    this.trace(`operator ${kind}s ${amountCents} at ${id}: ${moved.ok ? `cash ${moved.cashCents}` : moved.code}`);
  }

  /** The server's wall clock: sim time plus every forward jump so far. */
  readonly wallMs = (): number => WALL_START_MS + Math.floor(this.loop.nowUs / US_PER_MS) + this.clockOffsetMs;

  /** One network latency: mostly 0.2–5 ms, now and then a spike of up to 30 s. */
  latencyUs(): number {
    if (this.rng.chance(this.profile.delay)) return this.rng.int(1_000, 30_000) * US_PER_MS;
    return this.rng.int(200, 5_000);
  }

  nextLinkId(): number {
    return ++this.linkIds;
  }

  trace(text: string): void {
    const line = `#${this.loop.steps} t=${(this.loop.nowUs / 1e6).toFixed(6)}s ${text}`;
    this.traceHash.update(line).update('\n');
    this.traceRing.push(line);
    if (this.traceRing.length > (this.options.traceLines ?? 40)) this.traceRing.shift();
  }

  async run(): Promise<SimResult> {
    let violation: string | null = null;
    try {
      await this.server.start();
      this.users.forEach((user, i) => {
        const home = this.terminalIds[i % this.terminalIds.length] as string;
        const atm = new SimAtm(this, user, this.accountIds.get(user) as number, home);
        this.atms.push(atm);
        atm.run().catch((error: unknown) => {
          if (!(error instanceof SimViolation)) throw error;
        });
      });
      this.scheduleFaults();
      const onEvent = () => {};
      while (this.loop.steps < this.options.steps) {
        if (!(await this.loop.step(onEvent))) break;
        if (this.oracle.violation !== null) throw new SimViolation(this.oracle.violation);
        this.oracle.checkMoney();
      }
      this.stopping = true;
      for (const atm of this.atms) atm.stop();
      await this.server.shutdown();
      this.trace('shutdown');
      this.oracle.fullCheck();
      this.oracle.auditCheck(this.auditDisk.file, this.auditDisk.lost);
    } catch (error) {
      if (!(error instanceof SimViolation)) throw error;
      violation = this.oracle.violation ?? error.message;
      this.trace(`VIOLATION: ${violation}`);
    } finally {
      this.stopping = true;
      this.operator.close();
      await this.server.shutdown().catch(() => {});
      rmSync(this.dir, { recursive: true, force: true });
    }
    return { ok: violation === null, output: this.report(violation), stats: this.stats, violation };
  }

  private report(violation: string | null): string {
    const s = this.stats;
    const o = this.options;
    const gaps = KNOWN_GAPS.map((gap) => `${gap}=${this.oracle.gapCount(gap)}`).join(',');
    const summary =
      `sim seed=${o.seed} steps=${this.loop.steps} crashes=${s.crashes} requests=${s.requests} acked=${s.acked}` +
      ` replays=${s.replays} refused=${s.refused} unconfirmed=${s.unconfirmed} resends=${s.resends}` +
      ` cuts=${s.cuts} duplicates=${s.duplicates} batch_failures=${s.batchFailures} job_errors=${s.jobErrors}` +
      ` disk_full=${s.diskFull} clock_jumps=${s.clockJumps} operator=${s.operatorActions}` +
      ` terminals=${this.terminalIds.length} cash_actions=${s.cashActions} terminal_required=${s.terminalRequired}` +
      ` out_of_cash=${s.outOfCash} reversals=${s.reversals} reversals_unknown_tx=${s.reversalsUnknown} lock_refusals=${s.lockRefusals} outbox_recovered=${s.outboxRecovered}` +
      ` known_gaps=${gaps}${o.plant ? ` planted=${o.plant}` : ''} trace=${this.traceHash.copy().digest('hex').slice(0, 12)}`;
    if (violation === null) return `${summary} invariants ok`;
    const replay = `npm run sim -- --seed ${o.seed} --atms ${o.atms} --steps ${o.steps}${o.plant ? ` --plant ${o.plant}` : ''}${(o.strict ?? []).map((gap) => ` --strict-gap ${gap}`).join('')}${o.profile ? ` --profile '${JSON.stringify(o.profile)}'` : ''}`;
    return [
      `sim seed=${o.seed} step=${this.loop.steps} VIOLATION: ${violation}`,
      `trace (last ${this.traceRing.length} lines):`,
      ...this.traceRing.map((line) => `  ${line}`),
      summary.replace(/^sim /, 'sim stopped: '),
      `replay: ${replay}`,
    ].join('\n');
  }

  /** Crashes, disk-full windows, clock jumps and operator actions, each on its own timer. */
  private scheduleFaults(): void {
    const p = this.profile;
    const every = (meanMs: number, label: string, act: () => void) => {
      const wait = expMs(this.rng, meanMs);
      if (!Number.isFinite(wait)) return;
      this.loop.after(wait * US_PER_MS, label, () => {
        if (!this.stopping) act();
        every(meanMs, label, act);
      });
    };
    every(p.crashEveryMs, 'crash timer', () => this.server.crash('between steps'));
    every(p.diskFullEveryMs, 'disk full', () => {
      const ledger = this.server.currentLedger;
      if (!ledger) return;
      this.stats.diskFull++;
      const ms = this.rng.int(50, 3_000);
      this.trace(`disk full for ${ms} ms`);
      ledger.diskFull(ms * US_PER_MS);
    });
    every(p.clockJumpEveryMs, 'clock jump', () => {
      const big = this.rng.chance(0.1);
      const ms = big ? this.rng.int(3_600_000, 30 * 3_600_000) : this.rng.int(1_000, 600_000);
      this.clockOffsetMs += ms;
      this.stats.clockJumps++;
      this.trace(`server clock jumps ${ms} ms forward`);
    });
    every(p.operatorEveryMs, 'operator', () => this.operatorAction());
    every(p.cashEveryMs, 'operator at a terminal', () => this.terminalAction());
  }

  /** The operator at a machine: tops it up, empties part of it, or re-enrols it with a new certificate. */
  private terminalAction(): void {
    const id = this.rng.pick(this.terminalIds);
    const roll = this.rng.float();
    this.stats.cashActions++;
    if (roll < 0.6) this.moveCash(id, 'load', this.rng.int(1, this.profile.initialCashCents));
    else if (roll < 0.9) {
      // Empties the machine, or most of it: customers then meet TERMINAL_OUT_OF_CASH until the next load.
      const cash = findTerminal(this.operator, id)?.cashCents ?? 0;
      const amount = this.rng.chance(0.5) ? cash : this.rng.int(1, Math.max(1, cash));
      this.moveCash(id, 'unload', Math.max(1, amount));
    } else {
      this.enroll(id);
      this.trace(`operator re-enrols ${id} with a new certificate`);
    }
  }

  /** `bank-server accounts lock|unlock <user>` from another process. */
  private operatorAction(): void {
    const locked = [...this.lockedUsers];
    const lock = locked.length === 0 || !this.rng.chance(0.6);
    const user = lock ? this.rng.pick(this.users) : this.rng.pick(locked);
    if (lock && this.lockedUsers.has(user)) return;
    this.operator.setLocked(user, lock);
    if (lock) this.lockedUsers.add(user);
    else this.lockedUsers.delete(user);
    this.oracle.setLocked(this.accountIds.get(user) as number, lock);
    this.stats.operatorActions++;
    this.trace(`operator ${lock ? 'locks' : 'unlocks'} ${user}`);
  }
}
