import type { HistoryEntry } from '../../protocol/index.js';
import { formatCents } from '../client/money.js';
import type { BankConnector, BankSession, ClientError, Outcome } from '../client/types.js';
import { isRequestKind, type Script, type ScriptStep, type Statement } from './ast.js';

/** Where `connect` points: host and port, or null for the CLI's own connection options. */
export interface ConnectTarget {
  host: string;
  port: number;
}

export interface ScriptRunDeps {
  /** A connector for the CLI's connection options (null) or for a `connect <host> <port>` target. */
  connectorFor(target: ConnectTarget | null): BankConnector;
  /** One report line (no newline). */
  write(line: string): void;
  /**
   * Opens (and closes) a connection to the bank `connect` names, so that `connect` passes
   * only when the bank is there. Without it `connect` only chooses the target.
   */
  reach?(target: ConnectTarget | null): Promise<Outcome<unknown>>;
}

export interface ScriptReport {
  passed: number;
  failed: number;
}

type Verdict = 'PASS' | 'FAIL' | 'DONE';
type AnyOutcome = Outcome<Record<string, unknown>>;

const NOT_LOGGED_IN: AnyOutcome = { ok: false, error: { code: 'SESSION_CLOSED', message: 'not logged in' } };

/** The summary line, exactly `N passed, M failed`. */
export function summaryLine(report: ScriptReport): string {
  return `${report.passed} passed, ${report.failed} failed`;
}

/**
 * Runs a parsed script, one report line per step, then the summary line. A request whose
 * outcome the next `expect ok|error` checks is reported as DONE and not counted (the expect
 * carries the verdict); any other request passes when it succeeds. Failures do not stop the
 * run. The session is closed at the end.
 */
export async function runScript(script: Script, deps: ScriptRunDeps): Promise<ScriptReport> {
  const report: ScriptReport = { passed: 0, failed: 0 };
  let connector: BankConnector | null = null;
  let session: BankSession | null = null;
  let last: AnyOutcome | null = null;
  let lastWithdrawal: string | null = null;
  // Enrolment re-checks the password (protocol/README.md §5.1): the one the session logged in with.
  let password = '';

  const record = (step: ScriptStep, verdict: Verdict, detail?: string): void => {
    if (verdict === 'PASS') report.passed += 1;
    if (verdict === 'FAIL') report.failed += 1;
    deps.write(`${verdict} line ${step.line}: ${detail === undefined ? step.text : `${step.text} -> ${detail}`}`);
  };
  const conn = (): BankConnector => {
    connector ??= deps.connectorFor(null);
    return connector;
  };

  for (const [index, step] of script.steps.entries()) {
    const statement = step.statement;
    if (statement.kind === 'connect') {
      const target =
        statement.host !== undefined && statement.port !== undefined
          ? { host: statement.host, port: statement.port }
          : null;
      connector = deps.connectorFor(target);
      const reached = deps.reach ? await deps.reach(target) : null;
      if (reached && !reached.ok) record(step, 'FAIL', formatError(reached.error));
      else record(step, 'PASS', reached ? 'connected' : undefined);
      continue;
    }
    if (isRequestKind(statement.kind)) {
      let outcome: AnyOutcome;
      if (statement.kind === 'login' || statement.kind === 'register') {
        session?.close();
        const credentials = {
          user: statement.user,
          password: statement.password,
          ...(statement.kind === 'login' && statement.totp !== undefined ? { totp: statement.totp } : {}),
        };
        const opened =
          statement.kind === 'login' ? await conn().login(credentials) : await conn().register(credentials);
        session = opened.ok ? opened.value : null;
        password = statement.password;
        outcome = opened.ok ? { ok: true, value: { user: opened.value.user } } : opened;
      } else if (statement.kind === 'reverse' && statement.txId === 'last' && lastWithdrawal === null) {
        outcome = { ok: false, error: { code: 'UNKNOWN_TX', message: 'no withdrawal to reverse yet' } };
      } else {
        outcome = session ? await perform(session, statement, lastWithdrawal, password) : NOT_LOGGED_IN;
        if (statement.kind === 'logout') session = null;
      }
      if (statement.kind === 'withdraw' && outcome.ok) lastWithdrawal = String(outcome.value.txId);
      last = outcome;
      const checkedNext = nextIsOutcomeCheck(script.steps[index + 1]);
      if (checkedNext) record(step, 'DONE', describe(statement, outcome));
      else record(step, outcome.ok ? 'PASS' : 'FAIL', describe(statement, outcome));
      continue;
    }
    switch (statement.kind) {
      case 'expect-ok':
        if (last?.ok) record(step, 'PASS');
        else record(step, 'FAIL', `expected ok, got ${errorText(last)}`);
        break;
      case 'expect-error':
        if (last && !last.ok && last.error.code === statement.code) record(step, 'PASS');
        else record(step, 'FAIL', `expected error ${statement.code}, got ${last?.ok ? 'ok' : errorText(last)}`);
        break;
      case 'expect-balance': {
        const balance = session ? await session.balance() : NOT_LOGGED_IN;
        const want = formatCents(statement.amountCents);
        const got = balance.ok ? balance.value.balanceCents : null;
        if (got === statement.amountCents) record(step, 'PASS');
        else if (typeof got === 'number') record(step, 'FAIL', `expected balance ${want}, got ${formatCents(got)}`);
        else record(step, 'FAIL', `expected balance ${want}, got ${errorText(balance)}`);
        break;
      }
      case 'expect-entries': {
        const entries = last?.ok ? (last.value.entries as unknown[] | undefined) : undefined;
        if (entries?.length === statement.count) record(step, 'PASS');
        else {
          const got = entries ? String(entries.length) : errorText(last);
          record(step, 'FAIL', `expected ${plural(statement.count, 'entry', 'entries')}, got ${got}`);
        }
        break;
      }
    }
  }
  session?.close();
  deps.write(summaryLine(report));
  return report;
}

function nextIsOutcomeCheck(step: ScriptStep | undefined): boolean {
  return step?.statement.kind === 'expect-ok' || step?.statement.kind === 'expect-error';
}

async function perform(
  session: BankSession,
  s: Statement,
  lastWithdrawal: string | null,
  password: string,
): Promise<AnyOutcome> {
  const widen = (outcome: Outcome<object>): AnyOutcome => outcome as AnyOutcome;
  switch (s.kind) {
    case 'balance':
      return widen(await session.balance());
    case 'deposit':
      return widen(await session.deposit(s.amountCents));
    case 'withdraw':
      return widen(await session.withdraw(s.amountCents));
    case 'transfer':
      return widen(await session.transfer(s.to, s.amountCents));
    case 'reverse':
      return widen(await session.reverse(s.txId === 'last' ? (lastWithdrawal ?? '') : s.txId, s.reason));
    case 'history':
      return widen(await session.history(definedOnly({ limit: s.limit, before: s.before })));
    case 'ping':
      return widen(await session.ping());
    case 'change-password':
      return widen(await session.changePassword(s.current, s.next));
    case 'update-contact':
      return widen(await session.updateContact(definedOnly({ email: s.email, phone: s.phone })));
    case 'totp-enroll':
      return widen(await session.totpEnroll(password));
    case 'totp-confirm':
      return widen(await session.totpConfirm(s.code));
    case 'logout':
      return widen(await session.logout());
    case 'serve':
      return widen(await session.serve(s.user, s.password, s.totp));
    case 'release':
      return widen(await session.release());
    case 'open-account':
      return widen(await session.openAccount(s.user, s.password));
    default:
      return { ok: false, error: { code: 'INVALID_REQUEST', message: `${s.kind} is not a request` } };
  }
}

function errorText(outcome: AnyOutcome | null): string {
  if (!outcome) return 'nothing';
  if (outcome.ok) return 'ok';
  return formatError(outcome.error);
}

function formatError(error: ClientError): string {
  return `error ${error.code}: ${error.message}`;
}

/** What a request's outcome says, in a few words; never a secret (the TOTP secret is not shown). */
function describe(s: Statement, outcome: AnyOutcome): string {
  if (!outcome.ok) return formatError(outcome.error);
  const v = outcome.value;
  const replayed = v.replayed === true ? ', replayed' : '';
  const cents = (key: string): string => (typeof v[key] === 'number' ? formatCents(v[key] as number) : '?');
  switch (s.kind) {
    case 'login':
    case 'register':
      return `logged in as ${String(v.user)}`;
    case 'balance':
      return `balance ${cents('balanceCents')} ${String(v.currency)}`;
    case 'deposit':
    case 'withdraw':
    case 'transfer':
      return `balance ${cents('balanceCents')}, tx ${String(v.txId)}${replayed}`;
    case 'reverse':
      return `balance ${cents('balanceCents')}, tx ${String(v.txId)} reverses ${String(v.reversedTxId)}${replayed}`;
    case 'history':
      return plural((v.entries as HistoryEntry[]).length, 'entry', 'entries');
    case 'ping':
      return `server time ${String(v.serverTime)}`;
    case 'totp-enroll':
      return 'secret issued (not shown)';
    case 'serve':
      return `serving ${String(v.user)}, balance ${cents('balanceCents')}`;
    case 'open-account':
      return `account ${String(v.user)} opened${replayed}`;
    default:
      return `ok${replayed}`;
  }
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The fields of `fields` that are set; an unset one is left out, not sent as undefined. */
function definedOnly<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
