/** A session's listeners (notices, close, retries) and the calls that tell them. */
import type { Notice } from '../../protocol/index.js';
import type { ClientError, RetryReport } from './types.js';

/** Subscriptions return their own unsubscribe; telling iterates a copy, so a listener may unsubscribe itself. */
export class SessionEvents {
  readonly #notice = new Set<(notice: Notice) => void>();
  readonly #close = new Set<(reason: ClientError | null) => void>();
  readonly #retry = new Set<(report: RetryReport) => void>();

  onNotice(listener: (notice: Notice) => void): () => void {
    this.#notice.add(listener);
    return () => this.#notice.delete(listener);
  }

  onClose(listener: (reason: ClientError | null) => void): () => void {
    this.#close.add(listener);
    return () => this.#close.delete(listener);
  }

  onRetry(listener: (report: RetryReport) => void): () => void {
    this.#retry.add(listener);
    return () => this.#retry.delete(listener);
  }

  notice(notice: Notice): void {
    for (const listener of [...this.#notice]) listener(notice);
  }

  closed(reason: ClientError | null): void {
    for (const listener of [...this.#close]) listener(reason);
  }

  retried(report: RetryReport): void {
    for (const listener of [...this.#retry]) listener(report);
  }
}
