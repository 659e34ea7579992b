import {
  HISTORY_LIMIT_MAX,
  isWireErrorCode,
  REVERSAL_REASONS,
  type ReversalReason,
  TOTP_CODE_PATTERN,
} from '../../protocol/index.js';
import { CLIENT_ERROR_MESSAGES } from '../client/client-errors.js';
import { formatCents, parseMoney } from '../client/money.js';
import type { ClientErrorCode } from '../client/types.js';
import { isRequestKind, type Script, type ScriptStep, type ScriptSyntaxError, type Statement } from './ast.js';
import { type Token, tokenizeLine } from './tokenize-line.js';

export type ParseResult = { ok: true; script: Script } | { ok: false; errors: ScriptSyntaxError[] };

/** Shown in place of every password and TOTP code. */
export const SECRET_MASK = '****';

type Parsed = { statement: Statement; text: string } | { error: string };

interface CommandSpec {
  usage: string;
  parse(args: string[]): Parsed;
}

const ok = (statement: Statement, text: string): Parsed => ({ statement, text });
const bad = (error: string): Parsed => ({ error });

function amount(text: string): number | string {
  const parsed = parseMoney(text);
  return parsed.ok ? parsed.cents : parsed.message;
}

function positiveInt(text: string, max: number): number | null {
  if (!/^[1-9][0-9]*$/.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

function isClientErrorCode(code: string): code is ClientErrorCode {
  return isWireErrorCode(code) || Object.hasOwn(CLIENT_ERROR_MESSAGES, code);
}

/** `login` and `serve`: a user, a password and an optional TOTP code; both secrets are masked in the echo. */
function credentialsCommand(kind: 'login' | 'serve'): CommandSpec {
  return {
    usage: `${kind} <user> <password> [<totp-code>]`,
    parse: (args) => {
      const [user, password, totp] = args;
      if (args.length < 2 || args.length > 3 || user === undefined || password === undefined) return bad('');
      if (totp === undefined) return ok({ kind, user, password }, `${kind} ${user} ${SECRET_MASK}`);
      if (!TOTP_CODE_PATTERN.test(totp)) return bad('a TOTP code is 6 digits');
      return ok({ kind, user, password, totp }, `${kind} ${user} ${SECRET_MASK} ${SECRET_MASK}`);
    },
  };
}

/** A command of one word that takes no arguments. */
function bareCommand(kind: 'balance' | 'ping' | 'totp-enroll' | 'logout' | 'release'): CommandSpec {
  return { usage: kind, parse: (args) => (args.length ? bad('') : ok({ kind }, kind)) };
}

/** `register` and `open-account`: a user and its password; the password is masked in the echo. */
function newAccountCommand(kind: 'register' | 'open-account'): CommandSpec {
  return {
    usage: `${kind} <user> <password>`,
    parse: (args) => {
      const [user, password] = args;
      if (args.length !== 2 || user === undefined || password === undefined) return bad('');
      return ok({ kind, user, password }, `${kind} ${user} ${SECRET_MASK}`);
    },
  };
}

/** Every command with its usage line and argument rules: the grammar in one table. */
const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  connect: {
    usage: 'connect [<host> <port>]',
    parse: (args) => {
      if (args.length === 0) return ok({ kind: 'connect' }, 'connect');
      const [host, portText] = args;
      if (args.length !== 2 || host === undefined || portText === undefined) return bad('');
      const port = positiveInt(portText, 65_535);
      if (port === null) return bad(`port must be 1-65535, not ${portText}`);
      return ok({ kind: 'connect', host, port }, `connect ${host} ${port}`);
    },
  },
  login: credentialsCommand('login'),
  register: newAccountCommand('register'),
  balance: bareCommand('balance'),
  deposit: {
    usage: 'deposit <amount>',
    parse: (args) => moneyOp('deposit', args),
  },
  withdraw: {
    usage: 'withdraw <amount>',
    parse: (args) => moneyOp('withdraw', args),
  },
  transfer: {
    usage: 'transfer <user> <amount>',
    parse: (args) => {
      const [to, text] = args;
      if (args.length !== 2 || to === undefined || text === undefined) return bad('');
      const cents = amount(text);
      if (typeof cents === 'string') return bad(cents);
      return ok({ kind: 'transfer', to, amountCents: cents }, `transfer ${to} ${text}`);
    },
  },
  reverse: {
    usage: `reverse <txId|last> <${REVERSAL_REASONS.join('|')}>`,
    parse: (args) => {
      const [txId, reason] = args;
      if (args.length !== 2 || txId === undefined || reason === undefined) return bad('');
      if (!(REVERSAL_REASONS as readonly string[]).includes(reason)) {
        return bad(`reason must be one of ${REVERSAL_REASONS.join(', ')}`);
      }
      return ok({ kind: 'reverse', txId, reason: reason as ReversalReason }, `reverse ${txId} ${reason}`);
    },
  },
  history: {
    usage: `history [<limit 1-${HISTORY_LIMIT_MAX}>] [before <txId>]`,
    parse: (args) => {
      const rest = [...args];
      const statement: Statement & { kind: 'history' } = { kind: 'history' };
      if (rest[0] !== undefined && rest[0] !== 'before') {
        const limit = positiveInt(rest[0], HISTORY_LIMIT_MAX);
        if (limit === null) return bad(`limit must be 1-${HISTORY_LIMIT_MAX}, not ${rest[0]}`);
        statement.limit = limit;
        rest.shift();
      }
      if (rest.length > 0) {
        if (rest.length !== 2 || rest[0] !== 'before' || rest[1] === undefined) return bad('');
        statement.before = rest[1];
      }
      return ok(statement, ['history', ...args].join(' '));
    },
  },
  ping: bareCommand('ping'),
  'change-password': {
    usage: 'change-password <current> <new>',
    parse: (args) => {
      const [current, next] = args;
      if (args.length !== 2 || current === undefined || next === undefined) return bad('');
      return ok({ kind: 'change-password', current, next }, `change-password ${SECRET_MASK} ${SECRET_MASK}`);
    },
  },
  'update-contact': {
    usage: 'update-contact [email <address>] [phone <number>]',
    parse: (args) => {
      const statement: Statement & { kind: 'update-contact' } = { kind: 'update-contact' };
      if (args.length === 0 || args.length % 2 !== 0) return bad('');
      for (let i = 0; i < args.length; i += 2) {
        const [field, value] = [args[i], args[i + 1]];
        if (value === undefined) return bad('');
        if (field === 'email' && statement.email === undefined) statement.email = value;
        else if (field === 'phone' && statement.phone === undefined) statement.phone = value;
        else return bad('');
      }
      return ok(statement, ['update-contact', ...args].join(' '));
    },
  },
  'totp-enroll': bareCommand('totp-enroll'),
  'totp-confirm': {
    usage: 'totp-confirm <code>',
    parse: (args) => {
      const [code] = args;
      if (args.length !== 1 || code === undefined) return bad('');
      if (!TOTP_CODE_PATTERN.test(code)) return bad('a TOTP code is 6 digits');
      return ok({ kind: 'totp-confirm', code }, `totp-confirm ${SECRET_MASK}`);
    },
  },
  logout: bareCommand('logout'),
  serve: credentialsCommand('serve'),
  release: bareCommand('release'),
  'open-account': newAccountCommand('open-account'),
  expect: {
    usage: 'expect ok | expect error <CODE> | expect balance <amount> | expect entries <count>',
    parse: (args) => {
      const [what, value] = args;
      if (what === 'ok' && args.length === 1) return ok({ kind: 'expect-ok' }, 'expect ok');
      if (args.length !== 2 || value === undefined) return bad('');
      switch (what) {
        case 'error':
          if (!isClientErrorCode(value)) return bad(`unknown error code ${value}`);
          return ok({ kind: 'expect-error', code: value }, `expect error ${value}`);
        case 'balance': {
          const cents = amount(value);
          if (typeof cents === 'string') return bad(cents);
          return ok({ kind: 'expect-balance', amountCents: cents }, `expect balance ${formatCents(cents)}`);
        }
        case 'entries': {
          const count = /^(0|[1-9][0-9]{0,2})$/.test(value) ? Number(value) : null;
          if (count === null) return bad(`entries must be a count, not ${value}`);
          return ok({ kind: 'expect-entries', count }, `expect entries ${count}`);
        }
        default:
          return bad('');
      }
    },
  },
};

function moneyOp(kind: 'deposit' | 'withdraw', args: string[]): Parsed {
  const [text] = args;
  if (args.length !== 1 || text === undefined) return bad('');
  const cents = amount(text);
  if (typeof cents === 'string') return bad(cents);
  return ok({ kind, amountCents: cents }, `${kind} ${text}`);
}

/** The command words, for `--help` and error messages. */
export const SCRIPT_COMMANDS: readonly string[] = Object.keys(COMMANDS);

/** The usage line of every command, in grammar order. */
export const SCRIPT_USAGE: readonly string[] = Object.values(COMMANDS).map((spec) => spec.usage);

/**
 * Parses a whole script: a pure function from text (and the variables `$NAME` may name)
 * to steps with line numbers, or every syntax error found. Nothing runs before this passes.
 */
export function parseScript(source: string, vars: Readonly<Record<string, string | undefined>> = {}): ParseResult {
  const steps: ScriptStep[] = [];
  const errors: ScriptSyntaxError[] = [];
  const lines = source.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    const tokenized = tokenizeLine(raw, vars);
    if (!tokenized.ok) {
      errors.push({ line, message: tokenized.message });
      continue;
    }
    const [head, ...rest] = tokenized.tokens;
    if (!head) continue;
    const parsed = parseStatement(head, rest);
    if ('error' in parsed) {
      errors.push({ line, message: parsed.error });
      continue;
    }
    const step: ScriptStep = { line, text: parsed.text, statement: parsed.statement };
    const expectsOutcome = parsed.statement.kind === 'expect-ok' || parsed.statement.kind === 'expect-error';
    const previous = steps.at(-1);
    if (expectsOutcome && !(previous && isRequestKind(previous.statement.kind))) {
      errors.push({ line, message: `${parsed.text} must directly follow a request (a login, an op or logout)` });
    }
    if (parsed.statement.kind === 'expect-entries' && previous?.statement.kind !== 'history') {
      errors.push({ line, message: 'expect entries must directly follow history' });
    }
    steps.push(step);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, script: { steps } };
}

function parseStatement(head: Token, rest: Token[]): Parsed {
  const spec = head.quoted ? undefined : COMMANDS[head.text];
  if (!spec || !Object.hasOwn(COMMANDS, head.text)) {
    return bad(`unknown command ${JSON.stringify(head.text)} (commands: ${SCRIPT_COMMANDS.join(', ')})`);
  }
  const parsed = spec.parse(rest.map((token) => token.text));
  if ('error' in parsed && parsed.error === '') return bad(`usage: ${spec.usage}`);
  if ('error' in parsed) return bad(`${parsed.error} (usage: ${spec.usage})`);
  return parsed;
}
