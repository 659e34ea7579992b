import { describe, expect, it } from 'vitest';
import { HasherError } from '../../server/auth/index.js';
import { DataKeyError } from '../../server/secrets/data-key.js';
import { SERVER_ERRORS, ServerError } from '../../server/server-error.js';
import { TlsSetupError } from '../../server/tls/index.js';

describe('the server has one error class', () => {
  it.each([
    ['HasherError', () => new HasherError('HASH_INVALID', 'stored password hash is malformed')],
    ['DataKeyError', () => new DataKeyError('DATA_KEY_MISSING', 'keys/data.key is missing')],
    ['TlsSetupError', () => new TlsSetupError('TLS_CERT_INVALID', 'ca.key does not belong to ca.crt')],
  ])('%s is a ServerError with its code and message', (_name, make) => {
    const error = make();
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toBeInstanceOf(Error);
    expect(Object.keys(SERVER_ERRORS)).toContain(error.code);
    expect(error.message).not.toBe('');
  });

  it('keeps the codes of the three classes it replaces', () => {
    expect(Object.keys(SERVER_ERRORS).sort()).toEqual(
      [
        'DATA_KEY_INVALID',
        'DATA_KEY_MISSING',
        'HASHER_CLOSED',
        'HASHER_FAILED',
        'HASH_INVALID',
        'TLS_CERT_INVALID',
        'TLS_FILES_INCOMPLETE',
      ].sort(),
    );
  });

  it('defaults the message from the table and carries a cause', () => {
    const cause = new Error('EACCES');
    const error = new ServerError('HASHER_CLOSED', undefined, { cause });
    expect(error.message).toBe('password hasher is closed');
    expect(error.cause).toBe(cause);
  });
});
