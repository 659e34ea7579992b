/**
 * Where a bank-server command writes, the expected way for it to fail (one stderr line, a
 * non-zero exit, no stack trace) and commander's whole-number option parser: the same ones
 * bank-audit's commands use, from audit/ (server/ may import audit/, not the other way).
 */
export { CliError, type CliIo, integerOption, processIo } from '../../audit/index.js';
