// biome-ignore-all lint/suspicious/noTemplateCurlyInString: scripts spell variables ${NAME}, as a shell does
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseScript, type Statement } from '../../../atm-client/script/index.js';

function only(source: string, vars: Record<string, string> = {}): { statement: Statement; text: string; line: number } {
  const parsed = parseScript(source, vars);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  expect(parsed.script.steps).toHaveLength(1);
  const [step] = parsed.script.steps;
  if (!step) throw new Error('no step');
  return step;
}

function errorsOf(source: string, vars: Record<string, string> = {}) {
  const parsed = parseScript(source, vars);
  if (parsed.ok) throw new Error('expected a syntax error');
  return parsed.errors;
}

describe('parseScript: every statement', () => {
  it.each<[string, Statement, string]>([
    ['connect', { kind: 'connect' }, 'connect'],
    ['connect bank.example 7443', { kind: 'connect', host: 'bank.example', port: 7443 }, 'connect bank.example 7443'],
    ['login alice pw', { kind: 'login', user: 'alice', password: 'pw' }, 'login alice ****'],
    [
      'login alice pw 123456',
      { kind: 'login', user: 'alice', password: 'pw', totp: '123456' },
      'login alice **** ****',
    ],
    [
      'register alice Secret-Pass-123!',
      { kind: 'register', user: 'alice', password: 'Secret-Pass-123!' },
      'register alice ****',
    ],
    ['balance', { kind: 'balance' }, 'balance'],
    ['deposit 100.00', { kind: 'deposit', amountCents: 10_000 }, 'deposit 100.00'],
    ['withdraw 30', { kind: 'withdraw', amountCents: 3_000 }, 'withdraw 30'],
    ['transfer bob 5.5', { kind: 'transfer', to: 'bob', amountCents: 550 }, 'transfer bob 5.5'],
    [
      'reverse T000000000042 NOT_DISPENSED',
      { kind: 'reverse', txId: 'T000000000042', reason: 'NOT_DISPENSED' },
      'reverse T000000000042 NOT_DISPENSED',
    ],
    ['reverse last TIMEOUT', { kind: 'reverse', txId: 'last', reason: 'TIMEOUT' }, 'reverse last TIMEOUT'],
    ['history', { kind: 'history' }, 'history'],
    ['history 5', { kind: 'history', limit: 5 }, 'history 5'],
    [
      'history 5 before T000000000009',
      { kind: 'history', limit: 5, before: 'T000000000009' },
      'history 5 before T000000000009',
    ],
    ['history before T000000000009', { kind: 'history', before: 'T000000000009' }, 'history before T000000000009'],
    ['ping', { kind: 'ping' }, 'ping'],
    [
      'change-password old New-Pass-1234!',
      { kind: 'change-password', current: 'old', next: 'New-Pass-1234!' },
      'change-password **** ****',
    ],
    [
      'update-contact email a@b.example',
      { kind: 'update-contact', email: 'a@b.example' },
      'update-contact email a@b.example',
    ],
    [
      'update-contact phone +15550100 email a@b.example',
      { kind: 'update-contact', email: 'a@b.example', phone: '+15550100' },
      'update-contact phone +15550100 email a@b.example',
    ],
    ['totp-enroll', { kind: 'totp-enroll' }, 'totp-enroll'],
    ['totp-confirm 123456', { kind: 'totp-confirm', code: '123456' }, 'totp-confirm ****'],
    ['logout', { kind: 'logout' }, 'logout'],
    ['expect balance 100', { kind: 'expect-balance', amountCents: 10_000 }, 'expect balance 100.00'],
  ])('%s', (source, statement, text) => {
    const step = only(source);
    expect(step.statement).toEqual(statement);
    expect(step.text).toBe(text);
    expect(step.line).toBe(1);
  });

  it('parses expect ok / error / entries after the statements they check', () => {
    const parsed = parseScript(
      'withdraw 5\nexpect ok\nwithdraw 9\nexpect error INSUFFICIENT_FUNDS\nhistory 2\nexpect entries 2',
    );
    expect(parsed.ok && parsed.script.steps.map((s) => s.statement)).toEqual([
      { kind: 'withdraw', amountCents: 500 },
      { kind: 'expect-ok' },
      { kind: 'withdraw', amountCents: 900 },
      { kind: 'expect-error', code: 'INSUFFICIENT_FUNDS' },
      { kind: 'history', limit: 2 },
      { kind: 'expect-entries', count: 2 },
    ]);
  });

  it('accepts client-side codes in expect error', () => {
    const parsed = parseScript('balance\nexpect error SESSION_CLOSED\nping\nexpect error CONNECTION_LOST');
    expect(parsed.ok).toBe(true);
  });
});

describe('parseScript: lines, comments, quotes, variables', () => {
  it('keeps source line numbers across comments and blank lines', () => {
    const parsed = parseScript('# header\n\n   \nconnect   # trailing comment\n\tbalance\r\n# end\n');
    expect(parsed.ok && parsed.script.steps.map((s) => [s.line, s.statement.kind])).toEqual([
      [4, 'connect'],
      [5, 'balance'],
    ]);
  });

  it('treats # inside a word or quotes as text, and quotes keep blanks', () => {
    const step = only('login alice "pass word #1" # comment');
    expect(step.statement).toEqual({ kind: 'login', user: 'alice', password: 'pass word #1' });
    expect(only('login alice pa#ss').statement).toMatchObject({ password: 'pa#ss' });
    expect(only('login alice "say \\"hi\\" \\\\"').statement).toMatchObject({ password: 'say "hi" \\' });
  });

  it('expands $NAME and ${NAME} (also in quotes), and $$ is a dollar', () => {
    const vars = { ATM_PASSWORD: 'From-Env-123!', RUN_ID: 'k3x9' };
    expect(only('login alice $ATM_PASSWORD', vars).statement).toMatchObject({ password: 'From-Env-123!' });
    expect(only('register smoke_${RUN_ID} "x$${RUN_ID}y"', vars).statement).toEqual({
      kind: 'register',
      user: 'smoke_k3x9',
      password: 'x${RUN_ID}y',
    });
    expect(only('register u_${RUN_ID}_v "a ${ATM_PASSWORD}"', vars).statement).toEqual({
      kind: 'register',
      user: 'u_k3x9_v',
      password: 'a From-Env-123!',
    });
    // The report shows the expanded user but never the password.
    expect(only('register smoke_${RUN_ID} $ATM_PASSWORD', vars).text).toBe('register smoke_k3x9 ****');
  });

  it('parses the shipped example', async () => {
    const source = await readFile(new URL('../../../atm-client/examples/smoke.atm', import.meta.url), 'utf8');
    const parsed = parseScript(source, { RUN_ID: 'abc' });
    expect(parsed.ok).toBe(true);
  });
});

describe('parseScript: syntax errors name their line', () => {
  it.each<[string, number, RegExp]>([
    ['balance\nfly away', 2, /unknown command "fly"/],
    ['deposit', 1, /usage: deposit <amount>/],
    ['deposit 1 2', 1, /usage: deposit <amount>/],
    ['\n\ndeposit 1.234', 3, /at most 2 decimals/],
    ['withdraw -5', 1, /negative/],
    ['transfer bob ten', 1, /not an amount/],
    ['balance\nexpect error NO_SUCH_CODE', 2, /unknown error code NO_SUCH_CODE/],
    ['expect ok', 1, /must directly follow a request/],
    ['connect\nexpect error AUTH_FAILED', 2, /must directly follow a request/],
    ['balance\nexpect entries 3', 2, /expect entries must directly follow history/],
    ['expect maybe', 1, /usage: expect ok/],
    ['login alice "unterminated', 1, /unclosed quote/],
    ['login alice $NOPE', 1, /variable \$NOPE is not set/],
    ['login alice ${NOPE', 1, /unclosed \$\{/],
    ['login alice a$', 1, /lone \$/],
    ['login alice pw 12345', 1, /6 digits/],
    ['totp-confirm abcdef', 1, /6 digits/],
    ['history 0', 1, /limit must be 1-100/],
    ['history 101', 1, /limit must be 1-100/],
    ['history 5 after T1', 1, /usage: history/],
    ['reverse T000000000001 OOPS', 1, /reason must be one of/],
    ['connect host', 1, /usage: connect/],
    ['connect host 70000', 1, /port must be 1-65535/],
    ['update-contact', 1, /usage: update-contact/],
    ['update-contact fax 123', 1, /usage: update-contact/],
    ['"balance"', 1, /unknown command "balance"/],
    ['toString', 1, /unknown command "toString"/],
    ['ping now', 1, /usage: ping/],
  ])('%j → line %i', (source, line, message) => {
    const [first] = errorsOf(source);
    expect(first?.line).toBe(line);
    expect(first?.message).toMatch(message);
  });

  it('reports every error, not only the first', () => {
    const errors = errorsOf('deposit x\nbalance\nwithdraw\nfly\n');
    expect(errors.map((e) => e.line)).toEqual([1, 3, 4]);
  });
});
