import { resolve } from 'node:path';
import { Command } from 'commander';
import { writeAuditorKeyPair } from '../../keys/key-files.js';
import type { CliIo } from '../cli-io.js';

/** `bank-audit keygen --out <file>`: an auditor key pair; the secret 0600, the public key beside it. */
export function keygenCommand(io: CliIo): Command {
  return new Command('keygen')
    .description('create an auditor key pair: the secret in <file> (0600), the public key in <file>.pub')
    .requiredOption(
      '--out <file>',
      'where to write the auditor SECRET key (e.g. auditor.key; auditor.pub is written beside it)',
    )
    .action(async (opts: { out: string }) => {
      const written = await writeAuditorKeyPair(resolve(opts.out));
      io.out(`auditor secret key: ${written.secretKeyFile} (0600; keep it off the server)`);
      io.out(`auditor public key: ${written.publicKeyFile}`);
      io.out(`public key: ${written.publicKey}`);
      io.out(`start the server with: bank-server start --auditor-key ${written.publicKeyFile}`);
    });
}
