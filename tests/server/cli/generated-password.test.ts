import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tokenizeLine } from '../../../atm-client/script/tokenize-line.js';
import { passwordProblems } from '../../../protocol/index.js';
import { generateStrongPassword } from '../../../server/auth/index.js';

const SAMPLES = Array.from({ length: 2000 }, () => generateStrongPassword());

describe('generated passwords (demo account, accounts create)', () => {
  it('are 20 characters that pass the password policy', () => {
    for (const pw of SAMPLES) {
      expect(pw.length, pw).toBeGreaterThanOrEqual(20);
      expect(passwordProblems(pw), pw).toEqual([]);
    }
  });

  it('hold no character a shell or a script line would read (! # quotes $ \\ ` globs ~), and start with a letter', () => {
    for (const pw of SAMPLES) {
      expect(pw, pw).not.toMatch(/[!#"'$\\`*?[\]~{}()<>|&;\s^=]/);
      expect(pw, pw).toMatch(/^[A-Za-z]/);
    }
  });

  it('still draw from a large alphabet (at least 60 distinct characters seen)', () => {
    expect(new Set(SAMPLES.join('')).size).toBeGreaterThanOrEqual(60);
  });

  it('come through an unquoted shell word and an atm script line unchanged', () => {
    const some = SAMPLES.slice(0, 40);
    const shell = spawnSync('sh', ['-c', some.map((pw) => `printf '%s\\n' ${pw}`).join('; ')], { encoding: 'utf8' });
    expect(shell.stdout.split('\n').slice(0, -1)).toEqual(some);
    for (const pw of some) {
      const line = tokenizeLine(`login demo ${pw}`, {});
      expect(line.ok && line.tokens.map((t) => t.text)).toEqual(['login', 'demo', pw]);
    }
  });
});
