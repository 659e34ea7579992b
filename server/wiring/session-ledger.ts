import type { SessionLedger } from '../session/services.js';
import type { BankLedger, OutboxDrain } from './bank-ledger.js';

/**
 * The ledger as sessions use it. Mutations' audit events reach the logs through the outbox
 * (written in the mutation's own transaction); no mutation is handed to the ledger before the
 * outbox has recovered what the last run left (`ready()`, called after the audit log opened), so
 * a recovered row is never drained twice.
 */
export function sessionLedgerOf(bank: BankLedger, outbox: OutboxDrain): { ledger: SessionLedger; ready(): void } {
  let ready: () => void = () => {};
  const recovered = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const ledger: SessionLedger = {
    store: bank.store,
    mutate: async (ctx, request, change, envelope) => {
      await recovered;
      const done = bank.mutate(ctx, request, change, envelope);
      // Committed: its audit events go from the outbox to the logs (in commit order).
      void done.then(
        (outcome) => outbox.accept(outcome.outbox),
        () => {},
      );
      return done;
    },
    setTotpPending: (accountId, sealedSecret) => bank.setTotpPending(accountId, sealedSecret),
    resetFailures: (user, accountId, totpStep) => bank.lockout.recordSuccess(user, accountId, totpStep),
    ...(bank.openAccount ? { openAccount: bank.openAccount } : {}),
  };
  return { ledger, ready: () => ready() };
}

/**
 * Operator actions taken by the CLI while we run (or while we were down) reach our audit log;
 * a lock or close ends the account's sessions now (`sweep`), not at the next sweep. Never two
 * polls at once: a slow database must not stack them. `settled()` waits for the one running.
 */
export function operatorActionPoller(input: {
  bank: BankLedger;
  audit: Parameters<BankLedger['auditOperatorActions']>[0];
  outbox: OutboxDrain;
  sweep: () => Promise<unknown>;
  onError: (err: unknown) => void;
}): { poll(): Promise<void>; settled(): Promise<void> } {
  let running: Promise<void> | null = null;
  const poll = (): Promise<void> => {
    running ??= input.bank
      .auditOperatorActions(input.audit, input.outbox)
      .then(async (count) => {
        if (count > 0) await input.sweep();
      })
      .catch(input.onError)
      .finally(() => {
        running = null;
      });
    return running;
  };
  return { poll, settled: async () => void (await running) };
}
