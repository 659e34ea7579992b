/** The typed operations of a session (one per op, protocol/README.md §5), each one request over `request()`. */
import type { Notice, Op, OpResult, RequestBody, ReversalReason } from '../../protocol/index.js';
import { SessionEvents } from './session-events.js';
import type { ClientError, MutationOptions, Outcome, RetryReport } from './types.js';

/** Builds each op's request body; the subclass sends it and answers with the op's typed result. */
export abstract class SessionOps {
  protected readonly events = new SessionEvents();

  protected abstract request<O extends Op>(
    body: Extract<RequestBody, { op: O }>,
    options?: MutationOptions,
  ): Promise<Outcome<OpResult<O>>>;

  balance(): Promise<Outcome<OpResult<'balance'>>> {
    return this.request({ op: 'balance' });
  }

  deposit(amountCents: number, options?: MutationOptions): Promise<Outcome<OpResult<'deposit'>>> {
    return this.request({ op: 'deposit', amountCents }, options);
  }

  withdraw(amountCents: number, options?: MutationOptions): Promise<Outcome<OpResult<'withdraw'>>> {
    return this.request({ op: 'withdraw', amountCents }, options);
  }

  transfer(to: string, amountCents: number, options?: MutationOptions): Promise<Outcome<OpResult<'transfer'>>> {
    return this.request({ op: 'transfer', amountCents, to }, options);
  }

  reverse(txId: string, reason: ReversalReason, options?: MutationOptions): Promise<Outcome<OpResult<'reverse'>>> {
    return this.request({ op: 'reverse', txId, reason }, options);
  }

  history(query: { limit?: number; before?: string } = {}): Promise<Outcome<OpResult<'history'>>> {
    const body: Extract<RequestBody, { op: 'history' }> = { op: 'history' };
    if (query.limit !== undefined) body.limit = query.limit;
    if (query.before !== undefined) body.before = query.before;
    return this.request(body);
  }

  changePassword(
    current: string,
    next: string,
    options?: MutationOptions,
  ): Promise<Outcome<OpResult<'change_password'>>> {
    return this.request({ op: 'change_password', current, new: next }, options);
  }

  updateContact(
    contact: { email?: string; phone?: string },
    options?: MutationOptions,
  ): Promise<Outcome<OpResult<'update_contact'>>> {
    const body: Extract<RequestBody, { op: 'update_contact' }> = { op: 'update_contact' };
    if (contact.email !== undefined) body.email = contact.email;
    if (contact.phone !== undefined) body.phone = contact.phone;
    return this.request(body, options);
  }

  totpEnroll(password: string, totp?: string): Promise<Outcome<OpResult<'totp_enroll'>>> {
    const body: Extract<RequestBody, { op: 'totp_enroll' }> = { op: 'totp_enroll', password };
    if (totp !== undefined) body.totp = totp;
    return this.request(body);
  }

  totpDisable(password: string, totp: string, options?: MutationOptions): Promise<Outcome<OpResult<'totp_disable'>>> {
    return this.request({ op: 'totp_disable', password, totp }, options);
  }

  totpConfirm(code: string, options?: MutationOptions): Promise<Outcome<OpResult<'totp_confirm'>>> {
    return this.request({ op: 'totp_confirm', code }, options);
  }

  ping(): Promise<Outcome<OpResult<'ping'>>> {
    return this.request({ op: 'ping' });
  }

  serve(user: string, password: string, totp?: string): Promise<Outcome<OpResult<'serve'>>> {
    const body: Extract<RequestBody, { op: 'serve' }> = { op: 'serve', user, password };
    if (totp !== undefined) body.totp = totp;
    return this.request(body);
  }

  release(): Promise<Outcome<OpResult<'release'>>> {
    return this.request({ op: 'release' });
  }

  openAccount(user: string, password: string, options?: MutationOptions): Promise<Outcome<OpResult<'open_account'>>> {
    return this.request({ op: 'open_account', user, password }, options);
  }

  logout(): Promise<Outcome<OpResult<'logout'>>> {
    return this.request({ op: 'logout' });
  }

  onNotice(listener: (notice: Notice) => void): () => void {
    return this.events.onNotice(listener);
  }

  onClose(listener: (reason: ClientError | null) => void): () => void {
    return this.events.onClose(listener);
  }

  onRetry(listener: (report: RetryReport) => void): () => void {
    return this.events.onRetry(listener);
  }
}
