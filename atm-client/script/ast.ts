import type { RequestBody } from '../../protocol/index.js';
import type { ClientErrorCode } from '../client/types.js';

/** A statement's kind as the op it sends: `open-account` → `open_account`. */
type OpOf<K extends string> = K extends `${infer Head}-${infer Rest}` ? `${Head}_${OpOf<Rest>}` : K;

/**
 * A statement that is one request as the wire has it: the request body's own fields
 * (protocol/message-types.ts), `kind` in place of `op`.
 */
type RequestStatement<K extends string> = K extends string
  ? { kind: K } & Omit<Extract<RequestBody, { op: OpOf<K> }>, 'op'>
  : never;

/** One statement of an ATM script, with everything it needs already checked and expanded. */
export type Statement =
  | { kind: 'connect'; host?: string; port?: number }
  | { kind: 'login'; user: string; password: string; totp?: string }
  | { kind: 'register'; user: string; password: string }
  /**
   * `reverse last` (txId 'last') reverses the most recent successful withdrawal of the script.
   * `serve` starts serving a customer (protocol/README.md §5.2): later ops apply to them until `release`.
   */
  | RequestStatement<
      | 'balance'
      | 'deposit'
      | 'withdraw'
      | 'transfer'
      | 'reverse'
      | 'history'
      | 'ping'
      | 'update-contact'
      | 'totp-confirm'
      | 'logout'
      | 'serve'
      | 'release'
      | 'open-account'
    >
  /** The current password and the new one (the wire calls it `new`). */
  | { kind: 'change-password'; current: string; next: string }
  /** The password is the one the script logged in with. */
  | { kind: 'totp-enroll' }
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
