import { afterAll, afterEach, beforeAll } from 'vitest';
import { type Clock, type ConnectorDeps, createConnector } from '../../../atm-client/client/index.js';
import type { BankConnector, ConnectOptions } from '../../../atm-client/client/types.js';
import {
  makeTestPki,
  type PeerHooks,
  type ScriptedBankPeer,
  startScriptedBankPeer,
  type TestPki,
} from '../../helpers/scripted-bank-peer.js';

export const PASSWORD = 'Correct-Horse-9!';

/**
 * Per-file fixture: one throwaway PKI, a fresh scripted peer per test, torn down after it.
 * `alice` (100.00) and `bob` (0.00) exist on every peer.
 */
export function peerFixture() {
  let pki: TestPki | undefined;
  const peers: ScriptedBankPeer[] = [];

  beforeAll(async () => {
    pki = await makeTestPki();
  });
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((peer) => peer.close()));
  });
  afterAll(async () => {
    await Promise.all(peers.splice(0).map((peer) => peer.close()));
  });

  return {
    get pki(): TestPki {
      if (!pki) throw new Error('pki not ready');
      return pki;
    },
    async start(hooks: PeerHooks = {}): Promise<ScriptedBankPeer> {
      if (!pki) throw new Error('pki not ready');
      const peer = await startScriptedBankPeer(pki, hooks);
      peer.bank.addAccount('alice', PASSWORD, 10_000);
      peer.bank.addAccount('bob', PASSWORD, 0);
      peers.push(peer);
      return peer;
    },
    options(peer: ScriptedBankPeer, extra: Partial<ConnectOptions> = {}): ConnectOptions {
      return {
        host: '127.0.0.1',
        port: peer.port,
        ca: peer.pki.caPem,
        timeoutMs: 3_000,
        retryBackoffMs: 5,
        ...extra,
      };
    },
    connector(peer: ScriptedBankPeer, extra: Partial<ConnectOptions> = {}, deps: ConnectorDeps = {}): BankConnector {
      return createConnector(this.options(peer, extra), deps);
    },
  };
}

/** Waits until `check` holds (polling), failing after `ms`. */
export async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A clock whose timers fire only when the test says so: timeouts become deterministic
 * instead of racing a loaded machine.
 */
export class ManualClock implements Clock {
  private readonly timers = new Map<number, { callback: () => void; ms: number }>();
  private nextHandle = 1;

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.timers.set(handle, { callback, ms });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Delays of the timers now pending. */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.ms);
  }

  /** Fires every timer pending now (not the ones their callbacks set). */
  fireAll(): void {
    const due = [...this.timers.values()];
    this.timers.clear();
    for (const timer of due) timer.callback();
  }
}
