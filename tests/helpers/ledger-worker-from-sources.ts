/**
 * Setup file of every suite: the server under test runs from the TypeScript sources, so its ledger
 * worker thread starts from a bootstrap that compiles them (ledger-worker-host.mjs), not from the
 * compiled `ledger-worker.js` a built server uses.
 */
import { setLedgerWorkerEntry } from '../../server/ledger/ledger-worker-client.js';

setLedgerWorkerEntry(new URL('./ledger-worker-host.mjs', import.meta.url));
