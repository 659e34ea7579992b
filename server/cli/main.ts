#!/usr/bin/env node
import { main } from './program.js';

// Exit explicitly: the start command resolves only after an orderly shutdown.
process.exit(await main());
