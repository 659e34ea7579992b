import type { AuditSink } from '../../audit/index.js';
import { generateStrongPassword } from '../auth/index.js';
import type { AccountRegistrar, AuthAccountStore } from '../auth/types.js';
import type { DataDirPaths } from '../data-dir.js';
import type { LedgerStore } from '../ledger/index.js';
import { operatorIdentity } from '../setup/operator-identity.js';
import { ensureDemoTerminal } from '../terminals/demo-terminal.js';

const DEMO_USER = 'demo';

/**
 * `--demo` (npm start): the demo account on first start (its password returned, to be shown
 * once) and, on the embedded ledger, the demo terminal ATM-DEMO with cash; each audited.
 */
export async function prepareDemo(input: {
  store: AuthAccountStore;
  registrar: AccountRegistrar;
  sqliteStore: LedgerStore | undefined;
  hash: (password: string) => Promise<string>;
  audit: AuditSink;
  paths: DataDirPaths;
  now: Date;
  log: (detail: Record<string, unknown>, message: string) => void;
}): Promise<string | null> {
  const { audit } = input;
  let password: string | null = null;
  if (!(await input.store.findAccount(DEMO_USER))) {
    password = generateStrongPassword();
    await input.registrar.createAccount({ user: DEMO_USER, passwordHash: await input.hash(password) });
    audit.record({
      kind: 'operator_action',
      actor: 'operator',
      detail: { action: 'create_demo_account', user: DEMO_USER, ...operatorIdentity() },
    });
  }
  if (input.sqliteStore) {
    const demo = await ensureDemoTerminal({ paths: input.paths, store: input.sqliteStore, now: input.now });
    if (demo) {
      audit.record({
        kind: 'operator_action',
        actor: 'operator',
        detail: {
          action: 'enroll_demo_terminal',
          terminal: demo.enrolled.id,
          fingerprint: demo.enrolled.fingerprint,
          loadedCents: demo.loadedCents,
          ...operatorIdentity(),
        },
      });
      input.log({ terminal: demo.enrolled.id, cert: demo.enrolled.certPath }, 'demo terminal enrolled');
    }
  }
  return password;
}
