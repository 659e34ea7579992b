// The ledger worker's entry when the suites run the TypeScript sources: register tsx in this
// thread, then load the real entry (on Node 20 a worker's `--import` hooks do not reach its own
// entry module, so the registration has to happen here, before the import).
import { register } from 'tsx/esm/api';

register();
await import('../../server/ledger/ledger-worker.ts');
