import { describe, expect, it } from 'vitest';
import type { ClientOnlyCode } from '../../../atm-client/client/types.js';
import { describeError, ERROR_TEXT } from '../../../atm-client/ui/error-text.js';
import { WIRE_ERRORS } from '../../../protocol/index.js';

// Listed by hand: the type has no runtime form, and a new code must be added here on purpose.
const CLIENT_ONLY: readonly ClientOnlyCode[] = [
  'CONNECTION_LOST',
  'CONNECT_FAILED',
  'TLS_ERROR',
  'TIMEOUT',
  'SESSION_EXPIRED',
  'SERVER_SHUTDOWN',
  'BAD_SERVER_MESSAGE',
  'SESSION_CLOSED',
];

describe('ERROR_TEXT', () => {
  const codes = [...Object.keys(WIRE_ERRORS), ...CLIENT_ONLY];

  it.each(codes)('%s has a title and advice in plain words', (code) => {
    const text = describeError(code);
    expect(text).toBe(ERROR_TEXT[code as keyof typeof ERROR_TEXT]);
    expect(text.title.length).toBeGreaterThan(5);
    expect(text.advice.length).toBeGreaterThan(15);
    // Plain words: no code names, no underscores, no stack-trace-like text.
    expect(`${text.title} ${text.advice}`).not.toMatch(/[A-Z]{2,}_[A-Z]|Error:|\bat \S+:\d+/);
  });

  it('covers exactly the wire and client codes plus UNEXPECTED', () => {
    expect(Object.keys(ERROR_TEXT).sort()).toEqual([...codes, 'UNEXPECTED'].sort());
  });

  it('gives every code its own title', () => {
    const titles = Object.values(ERROR_TEXT).map((text) => text.title);
    expect(new Set(titles).size).toBe(titles.length);
  });

  it('ends the session for lost connections and notices, not for business refusals', () => {
    for (const code of ['CONNECTION_LOST', 'SESSION_EXPIRED', 'SERVER_SHUTDOWN', 'SESSION_CLOSED', 'TLS_ERROR']) {
      expect(describeError(code).endsSession).toBe(true);
    }
    for (const code of ['INSUFFICIENT_FUNDS', 'LIMIT_EXCEEDED', 'AUTH_FAILED', 'SERVER_BUSY', 'FRAUD_HOLD']) {
      expect(describeError(code).endsSession).toBe(false);
    }
  });

  it('answers an unknown code (a newer server) with the generic text', () => {
    expect(describeError('SOMETHING_NEW')).toBe(ERROR_TEXT.UNEXPECTED);
    expect(describeError('toString')).toBe(ERROR_TEXT.UNEXPECTED);
  });
});
