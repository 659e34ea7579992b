import { DEFAULT_MAX_AMOUNT_CENTS } from '../protocol/index.js';
import { DEFAULT_FRAUD_CONFIG } from './fraud/index.js';

/** Everything `bank-server start` can be told (DESIGN.md: option names are a contract). */
export interface ServerConfig {
  dataDir: string;
  host: string;
  port: number;
  adminPort: number;
  allowRegistration: boolean;
  idleTimeoutSec: number;
  lockoutThreshold: number;
  dailyWithdrawalLimitCents: number;
  maxAmountCents: number;
  auditorKeyFile: string | undefined;
  bcryptCost: number;
  maxFailedLoginsPerMinute: number;
  maxConnectionsPerAddress: number;
  reversalWindowSec: number;
  fraudAction: 'alert' | 'block';
  /** Fraud rule: a single amount above this (cents) raises an alert. */
  fraudLargeAmountCents: number;
  /** Fraud rule: more than this many withdrawals or transfers within the window raise an alert. */
  fraudVelocityCount: number;
  fraudVelocityWindowSec: number;
  /** Create the demo account on first start (npm start). */
  demo: boolean;
  /** Turn the encrypted + plaintext audit off (benchmark comparison only). */
  auditEnabled: boolean;
  /** How long a handshake may take before the socket is closed. */
  handshakeTimeoutMs: number;
  /** Lock period after the lockout threshold (doubles per repeat lock within 24 h, at most 4 h); 0 = until unlock. */
  lockoutDurationSec: number;
  /** Longest a session lives, however active. */
  maxSessionSec: number;
  /** New accounts per source address per hour. */
  maxRegistrationsPerHour: number;
  /** Run the ledger's group-commit writer on a worker thread (false: on the main thread, for comparison). */
  ledgerWorker: boolean;
  /** This instance's name (lock file, manifest); `main` when not given. */
  instanceId?: string;
  /** `sqlite:<file>` or `postgres://…` (DESIGN.md "Ledger backends and instances"); default the data dir's ledger.db. */
  ledgerUrl?: string;
  /** PostgreSQL connections per instance. */
  ledgerPoolSize?: number;
}

export const DEFAULT_SERVER_CONFIG: Omit<ServerConfig, 'dataDir'> = {
  host: '127.0.0.1',
  port: 7443,
  adminPort: 9464,
  allowRegistration: false,
  idleTimeoutSec: 300,
  lockoutThreshold: 3,
  dailyWithdrawalLimitCents: 200_000,
  maxAmountCents: DEFAULT_MAX_AMOUNT_CENTS,
  auditorKeyFile: undefined,
  bcryptCost: 12,
  maxFailedLoginsPerMinute: 20,
  maxConnectionsPerAddress: 256,
  reversalWindowSec: 600,
  fraudAction: 'alert',
  fraudLargeAmountCents: DEFAULT_FRAUD_CONFIG.largeAmountCents,
  fraudVelocityCount: DEFAULT_FRAUD_CONFIG.velocityCount,
  fraudVelocityWindowSec: DEFAULT_FRAUD_CONFIG.velocityWindowSec,
  demo: false,
  auditEnabled: true,
  handshakeTimeoutMs: 10_000,
  lockoutDurationSec: 900,
  maxSessionSec: 1800,
  maxRegistrationsPerHour: 5,
  ledgerWorker: true,
};

/** The currency every balance is kept in. */
export const CURRENCY = 'USD';
