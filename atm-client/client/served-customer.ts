import type { Op } from '../../protocol/index.js';
import type { Credentials } from './types.js';

/**
 * Who a teller session acts for (protocol/README.md §5.2), as the answers say it: a `serve` answered ok
 * starts serving its customer; any other answer to `serve` (it released first) and an ok `release`
 * serve no one; NOT_SERVING on any op means the bank no longer acts for anyone (the customer was
 * locked or closed). The customer's credentials are kept while serving, like the teller's own,
 * only so that a reconnect can serve the same customer again before re-sending their requests.
 */
export class ServedCustomer {
  private credentials: Credentials | null = null;

  get user(): string | null {
    return this.credentials?.user ?? null;
  }

  /** The credentials to serve again with after a reconnect; null when serving no one. */
  get again(): Credentials | null {
    return this.credentials === null ? null : { ...this.credentials };
  }

  /** Updates from one answer: `sent` is what a `serve` carried, `code` the error code of a refusal. */
  answered(op: Op, ok: boolean, served: { user: string } | null, sent: Credentials | undefined, code?: string): void {
    if (op === 'serve') {
      this.credentials = ok && sent !== undefined ? { ...sent, user: served?.user ?? sent.user } : null;
    } else if ((op === 'release' && ok) || code === 'NOT_SERVING') {
      this.credentials = null;
    }
  }

  clear(): void {
    this.credentials = null;
  }
}
