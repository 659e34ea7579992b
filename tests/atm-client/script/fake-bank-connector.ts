import type {
  BankConnector,
  BankSession,
  ClientError,
  Credentials,
  Outcome,
} from '../../../atm-client/client/types.js';
import { PROTOCOL_ID, type Request, type RequestBody } from '../../../protocol/index.js';
import { MiniBank } from '../../helpers/scripted-bank-peer.js';

/**
 * A BankConnector with no sockets: sessions call the scripted peer's MiniBank directly.
 * For runner tests that care about steps and verdicts, not about the wire.
 */
export class FakeBankConnector implements BankConnector {
  readonly bank = new MiniBank();
  readonly calls: string[] = [];
  private nextId = 1;

  login(credentials: Credentials): Promise<Outcome<BankSession>> {
    return Promise.resolve(this.open('password', credentials));
  }

  register(credentials: Credentials): Promise<Outcome<BankSession>> {
    return Promise.resolve(this.open('register', credentials));
  }

  private open(method: 'password' | 'register', credentials: Credentials): Outcome<BankSession> {
    this.calls.push(`${method} ${credentials.user}`);
    const auth = this.bank.authenticate({
      type: 'hello',
      protocol: PROTOCOL_ID,
      clientNonce: '',
      clientKey: '',
      auth: { method, user: credentials.user, password: credentials.password },
    });
    if (!auth.ok) return { ok: false, error: { code: auth.code, message: auth.code } };
    let open = true;
    const call = (body: RequestBody): Promise<Outcome<never>> => {
      this.calls.push(body.op);
      if (!open) return Promise.resolve({ ok: false, error: { code: 'SESSION_CLOSED', message: 'closed' } });
      const request = { id: `fake-${this.nextId++}`, ...body } as Request;
      const response = this.bank.handle(credentials.user, request);
      if (body.op === 'logout') open = false;
      const outcome = response.ok
        ? { ok: true, value: response.result }
        : { ok: false, error: response.error as ClientError };
      return Promise.resolve(outcome as Outcome<never>);
    };
    const session: BankSession = {
      user: credentials.user,
      sessionId: 'ZmFrZQ==',
      idleTimeoutSec: 300,
      terminal: null,
      role: 'customer',
      servedCustomer: null,
      balance: () => call({ op: 'balance' }),
      deposit: (amountCents) => call({ op: 'deposit', amountCents }),
      withdraw: (amountCents) => call({ op: 'withdraw', amountCents }),
      transfer: (to, amountCents) => call({ op: 'transfer', amountCents, to }),
      reverse: (txId, reason) => call({ op: 'reverse', txId, reason }),
      history: (query = {}) => call({ op: 'history', ...query }),
      changePassword: (current, next) => call({ op: 'change_password', current, new: next }),
      updateContact: (contact) => call({ op: 'update_contact', ...contact }),
      totpEnroll: (password, totp) => call({ op: 'totp_enroll', password, ...(totp === undefined ? {} : { totp }) }),
      totpDisable: (password, totp) => call({ op: 'totp_disable', password, totp }),
      totpConfirm: (code) => call({ op: 'totp_confirm', code }),
      ping: () => call({ op: 'ping' }),
      serve: (user, password) => call({ op: 'serve', user, password }),
      release: () => call({ op: 'release' }),
      openAccount: (user, password) => call({ op: 'open_account', user, password }),
      logout: () => call({ op: 'logout' }),
      close: () => {
        open = false;
      },
      onNotice: () => () => {},
      onClose: () => () => {},
      onRetry: () => () => {},
    };
    return { ok: true, value: session };
  }
}
