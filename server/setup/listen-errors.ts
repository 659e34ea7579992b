import { SetupError } from './setup-error.js';

/** A listen() failure as one line an operator can act on; other errors pass through. */
export function explainListenError(err: unknown, where: { host: string; port: number; option: string }): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const { host, port, option } = where;
  if (code === 'EADDRINUSE') {
    return new SetupError('PORT_IN_USE', `port ${port} is in use — is another bank-server running? use ${option}`);
  }
  if (code === 'EACCES') {
    return new SetupError(
      'PORT_NOT_ALLOWED',
      `port ${port} needs privileges this user lacks; use ${option} above 1023`,
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    const flag = option === '--port' ? '--host' : '--admin-host';
    return new SetupError('ADDRESS_NOT_AVAILABLE', `${host} is not an address of this machine; check ${flag}`);
  }
  return err;
}
