import { availableParallelism } from 'node:os';
import {
  AddressLimiter,
  Authenticator,
  createPasswordHasher,
  estimatedCheckMs,
  LoginAdmission,
  TotpService,
} from '../auth/index.js';
import type { ServerConfig } from '../config.js';
import { PiiBox } from '../secrets/pii-box.js';
import type { BankLedger } from './bank-ledger.js';

/** Passwords, TOTP, sealed contact data and the login rules, from the server's options and ledger. */
export function authServicesOf(config: ServerConfig, bank: BankLedger, dataKey: Uint8Array, clock: () => number) {
  // Every core hashes, at a lower priority than the event loop (hash-worker-source.ts), so a
  // login storm takes the spare CPU, not the customers' requests.
  const workers = availableParallelism();
  const hasher = createPasswordHasher({ cost: config.bcryptCost, workers });
  const pii = new PiiBox(dataKey);
  const totp = new TotpService(pii, { clock });
  const policy = {
    allowRegistration: config.allowRegistration,
    lockoutThreshold: config.lockoutThreshold,
    maxFailedLoginsPerMinute: config.maxFailedLoginsPerMinute,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    maxRegistrationsPerHour: config.maxRegistrationsPerHour,
  };
  const limiter = new AddressLimiter(policy, clock);
  // Queue only the password checks that can end before the handshake deadline (§2.1); the
  // estimate starts from the cost and follows what the checks really take.
  const admission = new LoginAdmission({
    workers,
    initialCheckMs: estimatedCheckMs(config.bcryptCost),
    handshakeBudgetMs: config.handshakeTimeoutMs,
    marginMs: Math.min(1_500, config.handshakeTimeoutMs * 0.15),
    clock,
  });
  const authenticator = new Authenticator({
    store: bank.store,
    lockout: bank.lockout,
    registrar: bank.registrar,
    // Several instances on one ledger share each address's allowances (PostgreSQL).
    ...(bank.sharedAddressSlots ? { shared: bank.sharedAddressSlots } : {}),
    hasher,
    limiter,
    policy,
    totp,
    admission,
    clock,
  });
  return { hasher, pii, totp, limiter, authenticator };
}
