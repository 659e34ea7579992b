/**
 * The cash dispenser, simulated. A real ATM would drive hardware here; the UI only needs
 * to know whether the notes came out, so it can reverse the withdrawal when they did not.
 */

export type DispenseOutcome = { ok: true } | { ok: false; reason: string };

export interface CashDispenser {
  dispense(amountCents: number): Promise<DispenseOutcome>;
}

export interface SimulatedDispenserOptions {
  /** Make every dispense fail (`--simulate-dispense-failure`, for demos). */
  fail?: boolean;
  /** How long counting the notes takes; 0 in tests. */
  delayMs?: number;
}

export function createSimulatedDispenser(options: SimulatedDispenserOptions = {}): CashDispenser {
  const delayMs = options.delayMs ?? 700;
  return {
    async dispense() {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return options.fail ? { ok: false, reason: 'the dispenser jammed (simulated)' } : { ok: true };
    },
  };
}
