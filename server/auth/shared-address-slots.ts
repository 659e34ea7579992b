/**
 * The per-address allowances (failed logins per minute, new accounts per hour; protocol/README.md
 * §2.1) as several instances on one ledger share them: each instance keeps its own count too
 * (address-limiter.ts), and takes a slot here as well, so an address gets across N instances what
 * it gets from one. The PostgreSQL ledger implements it (pg-address-slots.ts).
 */
export type SlotKind = 'login' | 'registration';

export interface SharedAddressSlots {
  /** One slot of `limit` in the kind's window, or how long until one frees up. */
  take(kind: SlotKind, address: string, limit: number): Promise<{ slot: number } | { retryAfterMs: number }>;
  /** A successful (or abandoned) attempt's slot goes back. */
  giveBack(slot: number): Promise<void>;
}
