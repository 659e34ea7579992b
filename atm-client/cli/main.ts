#!/usr/bin/env node
import { processIo } from './atm-io.js';
import { runAtm } from './program.js';

process.exitCode = await runAtm(process.argv.slice(2), processIo());
