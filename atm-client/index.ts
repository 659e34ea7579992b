/**
 * The ATM side of secure-atm: the client library (TLS 1.3, handshake, sealed frames,
 * pipelining, retries with the same request id), ATM scripts for testers, and the `atm`
 * program. The Ink screens live in ./ui and are loaded by the program when needed.
 * @packageDocumentation
 */

/** The `atm` program, buildable in-process with injected output and environment. */
export type { AtmIo, RunAtmUi } from './cli/atm-io.js';
export { buildAtmProgram, runAtm } from './cli/program.js';
/** The client library and its contract (BankConnector, BankSession, Outcome, ClientError). */
export * from './client/index.js';
/** ATM scripts: parse (pure) and run. */
export * from './script/index.js';
