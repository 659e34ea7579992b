#!/usr/bin/env node
import { processIo } from './cli-io.js';
import { runBankAudit } from './program.js';

// `bank-audit decrypt ... | head`: a closed pipe ends the program quietly, not with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  process.stderr.write(`bank-audit: cannot write output: ${err.message}\n`);
  process.exit(1);
});

// Ctrl-C / SIGTERM end `tail --follow` cleanly instead of killing it mid-line.
const stop = new AbortController();
const onSignal = () => stop.abort();
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

process.exitCode = await runBankAudit(process.argv.slice(2), { ...processIo, signal: stop.signal });
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
