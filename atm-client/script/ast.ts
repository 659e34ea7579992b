import type { ReversalReason } from '../../protocol/index.js';
import type { ClientErrorCode } from '../client/types.js';

/** One statement of an ATM script, with everything it needs already checked and expanded. */
export type Statement =
  | { kind: 'connect'; host?: string; port?: number }
  | { kind: 'login'; user: string; password: string; totp?: string }
  | { kind: 'register'; user: string; password: string }
  | { kind: 'balance' }
  | { kind: 'deposit'; amountCents: number }
  | { kind: 'withdraw'; amountCents: number }
  | { kind: 'transfer'; to: string; amountCents: number }
  /** `txId: 'last'` reverses the most recent successful withdrawal of the script. */
  | { kind: 'reverse'; txId: string; reason: ReversalReason }
  | { kind: 'history'; limit?: number; before?: string }
  | { kind: 'ping' }
  | { kind: 'change-password'; current: string; next: string }
  | { kind: 'update-contact'; email?: string; phone?: string }
  | { kind: 'totp-enroll' }
  | { kind: 'totp-confirm'; code: string }
  | { kind: 'logout' }
  /** Teller sessions (protocol/README.md §5.2): later ops apply to the customer served. */
  | { kind: 'serve'; user: string; password: string; totp?: string }
  | { kind: 'release' }
  | { kind: 'open-account'; user: string; password: string }
  | { kind: 'expect-ok' }
  | { kind: 'expect-error'; code: ClientErrorCode }
  | { kind: 'expect-balance'; amountCents: number }
  | { kind: 'expect-entries'; count: number };

export type StatementKind = Statement['kind'];

/** The statements that do not talk to the bank: the connection itself and the checks. */
const LOCAL_KINDS: ReadonlySet<StatementKind> = new Set([
  'connect',
  'expect-ok',
  'expect-error',
  'expect-balance',
  'expect-entries',
]);

/** Statements that talk to the bank and leave an outcome for a following `expect ok|error`: all the others. */
export function isRequestKind(kind: StatementKind): boolean {
  return !LOCAL_KINDS.has(kind);
}

export interface ScriptStep {
  /** 1-based line in the source. */
  line: number;
  /** The statement as the report shows it: variables expanded, secrets as `****`. */
  text: string;
  statement: Statement;
}

export interface Script {
  steps: ScriptStep[];
}

export interface ScriptSyntaxError {
  line: number;
  message: string;
}
