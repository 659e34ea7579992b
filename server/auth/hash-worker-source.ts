/**
 * The bcrypt worker's code, run with `new Worker(source, { eval: true })`. It is a string so the
 * same code runs from the TS sources under vitest and from compiled JS in dist/: there is no
 * worker file to find in two trees. bcryptjs arrives as an absolute path resolved by the main
 * thread, because an eval'd worker has no module of its own to resolve from.
 *
 * The worker does one job at a time with the synchronous bcrypt calls: blocking is its purpose.
 * Replies carry only the result, never the password.
 */
export const HASH_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
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
