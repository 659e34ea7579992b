import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { TOO_SMALL_TEXT } from '../../../atm-client/ui/hooks/use-terminal-size.js';
import { KEY, renderAtm } from './harness.js';

afterEach(() => cleanup());

/** The test stdout has a fixed width; give it a size and tell Ink, as a terminal resize does. */
function resize(stdout: NodeJS.EventEmitter, columns: number, rows: number): void {
  Object.defineProperty(stdout, 'columns', { value: columns, configurable: true });
  Object.defineProperty(stdout, 'rows', { value: rows, configurable: true });
  stdout.emit('resize');
}

describe('a window too small for the ATM', () => {
  it('shows one clear line, ignores keys, and comes back as it was', async () => {
    const atm = await renderAtm();
    atm.bank.addAccount('alice');
    await atm.pick('1', 'User name');
    await atm.type('alice');

    resize(atm.ui.stdout, 50, 16);
    const small = await atm.waitFor(TOO_SMALL_TEXT);
    expect(TOO_SMALL_TEXT).toBe('Please make the window at least 66×20');
    expect(small.trim()).toBe(TOO_SMALL_TEXT);
    // Typing at a screen nobody can see does nothing.
    await atm.type('bob');
    await atm.press(KEY.escape);

    resize(atm.ui.stdout, 80, 24);
    const back = await atm.waitFor('User name');
    expect(back).not.toContain(TOO_SMALL_TEXT);
    expect(back).toMatch(/User name\s+alice\s/);
    expect(back).toContain('╰');
  });

  it('too few rows counts as too small as well', async () => {
    const atm = await renderAtm();
    resize(atm.ui.stdout, 100, 19);
    await atm.waitFor(TOO_SMALL_TEXT);
    resize(atm.ui.stdout, 66, 20);
    await atm.waitFor('Welcome to Secure ATM');
  });
});
