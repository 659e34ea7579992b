/**
 * The bcrypt worker's code, run with `new Worker(source, { eval: true })`. It is a string so the
 * same code runs from the TS sources under vitest and from compiled JS in dist/: there is no
 * worker file to find in two trees. bcryptjs arrives as an absolute path resolved by the main
 * thread, because an eval'd worker has no module of its own to resolve from.
 *
 * The worker does one job at a time with the synchronous bcrypt calls: blocking is its purpose.
 * Replies carry only the result, never the password.
 */
/** How much lower than the event loop bcrypt threads run (nice 0–19). */
export const HASH_WORKER_NICE = 10;

export const HASH_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
// On Linux a nice value is per thread: this lowers only this bcrypt thread, so under a login storm
// the event loop (TLS, sessions' requests) is scheduled first and bcrypt takes what is left.
try {
  require('node:os').setPriority(0, ${HASH_WORKER_NICE});
} catch {
  // Not permitted or not supported: run at normal priority.
}
parentPort.on('message', (job) => {
  try {
    if (job.op === 'hash') {
      parentPort.postMessage({ ok: true, value: bcrypt.hashSync(job.password, bcrypt.genSaltSync(job.cost)) });
    } else {
      parentPort.postMessage({ ok: true, value: bcrypt.compareSync(job.password, job.hash) === true });
    }
  } catch {
    parentPort.postMessage({ ok: false });
  }
});
`;
