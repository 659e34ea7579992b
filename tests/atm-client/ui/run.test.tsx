import { EventEmitter } from 'node:events';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AtmUiError, runAtmUi } from '../../../atm-client/ui/run.js';
import { FakeBank } from '../../helpers/fake-bank.js';
import { untilListening } from './harness.js';

/** Just enough of a TTY stdin for Ink: raw mode and the readable/read protocol. */
class FakeTtyStdin extends EventEmitter {
  isTTY = true;
  rawMode = false;
  private pending: string | null = null;
  setRawMode(on: boolean) {
    this.rawMode = on;
    return this;
  }
  setEncoding() {
    return this;
  }
  ref() {
    return this;
  }
  unref() {
    return this;
  }
  resume() {
    return this;
  }
  pause() {
    return this;
  }
  read(): string | null {
    const data = this.pending;
    this.pending = null;
    return data;
  }
  send(data: string) {
    this.pending = data;
    this.emit('readable');
  }
}

class FakeStdout extends EventEmitter {
  columns = 100;
  rows = 40;
  output = '';
  write(chunk: string) {
    this.output += chunk;
    return true;
  }
}

describe('runAtmUi', () => {
  it('refuses a stdin that is not a terminal, before drawing anything', async () => {
    const stdin = new FakeTtyStdin();
    stdin.isTTY = false;
    const stdout = new FakeStdout();
    const run = runAtmUi({
      connector: new FakeBank(),
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
    });
    await expect(run).rejects.toBeInstanceOf(AtmUiError);
    await expect(run).rejects.toMatchObject({ code: 'NOT_A_TERMINAL' });
    expect(stdout.output).toBe('');
  });

  it('draws the ATM in raw mode and resolves when the customer quits', async () => {
    const stdin = new FakeTtyStdin();
    const stdout = new FakeStdout();
    let finished = false;
    const run = runAtmUi({
      connector: new FakeBank(),
      terminal: 'ATM-0042',
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
    }).then(() => {
      finished = true;
    });
    await untilListening(stdin);
    expect(stdin.rawMode).toBe(true);
    expect(finished).toBe(false);
    stdin.send('3'); // Quit
    await run;
    expect(finished).toBe(true);
    expect(stdin.rawMode).toBe(false);
    expect(stripVTControlCharacters(stdout.output)).toContain('Welcome to Secure ATM');
  });
});
