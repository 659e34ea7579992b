import { stripVTControlCharacters } from 'node:util';
import { Text } from 'ink';
import { cleanup, render } from 'ink-testing-library';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { IDLE_LOGOUT_BANNER, LOGOUT_BANNER } from '../../../atm-client/ui/App.js';
import { KeyboardRoot } from '../../../atm-client/ui/components/KeyboardRoot.js';
import type { CashDispenser, DispenseOutcome } from '../../../atm-client/ui/dispenser.js';
import { ErrorBoundary } from '../../../atm-client/ui/ErrorBoundary.js';
import { delay, flat, KEY, renderAtm, untilListening } from './harness.js';

afterEach(() => cleanup());

async function loggedIn(idleTimeoutSec = 300) {
  const atm = await renderAtm();
  atm.bank.idleTimeoutSec = idleTimeoutSec;
  atm.bank.addAccount('alice', { balanceCents: 100_000 });
  await atm.login();
  return atm;
}

describe('idle countdown', () => {
  it('stays hidden until the last minute, then counts down', async () => {
    const atm = await loggedIn(300);
    atm.clock.advance(239_000);
    await delay(20);
    expect(atm.frame()).not.toContain('Session ends');
    atm.clock.advance(1_000);
    await atm.waitFor('Session ends in 1:00 — press any key');
    atm.clock.advance(18_000);
    await atm.waitFor('Session ends in 0:42 — press any key');
  });

  it('each request restarts the countdown', async () => {
    const atm = await loggedIn(300);
    atm.clock.advance(200_000);
    await atm.press('1'); // balance: a request
    await atm.waitFor('Available balance');
    atm.clock.advance(200_000);
    await delay(20);
    expect(atm.frame()).not.toContain('Session ends');
    atm.clock.advance(45_000);
    await atm.waitFor('Session ends in 0:55');
  });

  it('any key during the warning keeps the session alive with a ping', async () => {
    const atm = await loggedIn(300);
    atm.clock.advance(280_000);
    await atm.waitFor('Session ends in 0:20');
    expect(atm.bank.callsOf('ping')).toHaveLength(0);
    await atm.press(KEY.down);
    expect(atm.bank.callsOf('ping')).toHaveLength(1);
    await atm.waitFor((screen) => !screen.includes('Session ends'));
    // The key still did its job on the screen: the highlight moved to item 2.
    expect(atm.frame()).toMatch(/› 2\s+Withdraw cash/);
  });

  it('logs out and returns to the welcome screen when it runs out', async () => {
    const atm = await loggedIn(300);
    atm.clock.advance(300_000);
    const screen = await atm.waitFor(IDLE_LOGOUT_BANNER);
    expect(screen).toContain('Welcome to Secure ATM');
    expect(screen).not.toContain('alice');
    await delay(20);
    expect(atm.bank.callsOf('logout')).toHaveLength(1);
    expect(atm.bank.session.closed).toBe(true);
    // And the countdown is gone with the session.
    atm.clock.advance(600_000);
    await delay(20);
    expect(atm.frame()).not.toContain('Session ends');
  });

  it('with a short server timeout the warning shows at once', async () => {
    const atm = await loggedIn(45);
    atm.clock.advance(1_000);
    await atm.waitFor('Session ends in 0:44');
  });
});

describe('notices and closes', () => {
  it('SESSION_EXPIRED from the server shows a clear screen, then the welcome screen', async () => {
    const atm = await loggedIn();
    atm.bank.session.sendNotice('SESSION_EXPIRED');
    const screen = await atm.waitFor('Session ended');
    expect(flat(screen)).toContain('Please log in again');
    expect(screen).toContain('Code: SESSION_EXPIRED');
    expect(atm.bank.session.closed).toBe(true);
    await atm.pick(KEY.enter, 'Welcome to Secure ATM');
  });

  it('SERVER_SHUTDOWN shows that the bank is closing, even in the middle of a form', async () => {
    const atm = await loggedIn();
    await atm.pick('3', 'How much are you depositing?');
    atm.bank.session.sendNotice('SERVER_SHUTDOWN');
    const screen = await atm.waitFor('The bank is closing');
    expect(flat(screen)).toContain('shutting down for maintenance');
    expect(atm.bank.session.listenerCount).toBe(0);
  });

  it('a notice during dispensing still lets the cash come out, and keeps the notice on screen', async () => {
    let finish: (outcome: DispenseOutcome) => void = () => {};
    const dispensing = new Promise<DispenseOutcome>((resolve) => {
      finish = resolve;
    });
    let dispensed = 0;
    const dispenser: CashDispenser = {
      dispense: () => {
        dispensed++;
        return dispensing;
      },
    };
    const atm = await renderAtm({ dispenser });
    atm.bank.addAccount('alice', { balanceCents: 100_000 });
    await atm.login();
    await atm.pick('2', 'Other amount');
    await atm.press('1', KEY.enter);
    await atm.waitFor('Counting your cash');
    atm.bank.session.sendNotice('SERVER_SHUTDOWN');
    await atm.waitFor('The bank is closing');
    finish({ ok: true });
    await delay(30);
    expect(dispensed).toBe(1);
    expect(atm.frame()).toContain('The bank is closing');
    expect(atm.frame()).not.toContain('Receipt');
  });

  it('an unexpected close of the connection is explained', async () => {
    const atm = await loggedIn();
    atm.bank.session.dropConnection();
    await atm.waitFor('Connection lost');
    await atm.pick(KEY.escape, 'Welcome to Secure ATM');
  });

  it('a clean close the ATM did not ask for is still reported', async () => {
    const atm = await loggedIn();
    atm.bank.session.dropConnection(null);
    await atm.waitFor('Session closed');
  });

  it('an error that ends the session drops it and leads back to the start', async () => {
    const atm = await loggedIn();
    atm.bank.failNext('withdraw', 'CONNECTION_LOST');
    await atm.pick('2', 'Other amount');
    await atm.press('1', KEY.enter);
    const screen = await atm.waitFor('Connection lost');
    expect(flat(screen)).toContain('check your balance');
    expect(atm.bank.session.closed).toBe(true);
    await atm.pick(KEY.enter, 'Welcome to Secure ATM');
  });
});

describe('leaving', () => {
  it('log out sends logout, closes and thanks the customer', async () => {
    const atm = await loggedIn();
    const screen = await atm.pick('9', LOGOUT_BANNER);
    expect(screen).toContain('Welcome to Secure ATM');
    await delay(20);
    expect(atm.bank.callsOf('logout')).toHaveLength(1);
    expect(atm.bank.session.loggedOut).toBe(true);
    expect(atm.bank.session.listenerCount).toBe(0);
    // Log out did not look like a lost connection.
    expect(atm.frame()).not.toContain('Sorry');
  });

  it('the arrow keys reach Log out too', async () => {
    const atm = await loggedIn();
    await atm.press(KEY.up, KEY.enter);
    await atm.waitFor(LOGOUT_BANNER);
  });

  it('Quit on the welcome screen ends the app', async () => {
    const atm = await renderAtm();
    await atm.press('3');
    await delay(30);
    // Ink unmounted: a key no longer changes anything.
    const before = atm.frame();
    await atm.press('1');
    expect(atm.frame()).toBe(before);
    expect(before).not.toContain('User name');
  });

  it('Ctrl+C logs out before leaving', async () => {
    const atm = await loggedIn();
    await atm.press(KEY.ctrlC);
    await delay(30);
    expect(atm.bank.callsOf('logout')).toHaveLength(1);
    expect(atm.bank.session.closed).toBe(true);
  });
});

function Bomb(): never {
  throw new Error('kaboom at /secret/path/file.ts:12:3');
}

function Maybe() {
  const [armed, setArmed] = useState(true);
  return armed ? (
    <ErrorBoundary onRestart={() => setArmed(false)}>
      <Bomb />
    </ErrorBoundary>
  ) : (
    <Text>fine again</Text>
  );
}

describe('error boundary', () => {
  it('shows an out-of-order screen, never the error or a stack trace, and restarts on Enter', async () => {
    const ui = render(
      <KeyboardRoot>
        <Maybe />
      </KeyboardRoot>,
    );
    const frame = () => stripVTControlCharacters(ui.lastFrame() ?? '');
    expect(frame()).toContain('Sorry, this ATM hit a problem.');
    const everything = stripVTControlCharacters([...ui.stdout.frames, ...ui.stderr.frames].join('\n'));
    expect(everything).not.toContain('kaboom');
    expect(everything).not.toMatch(/\bat .*:\d+:\d+/);
    await untilListening(ui.stdin);
    ui.stdin.write('\r');
    await delay(20);
    expect(frame()).toContain('fine again');
  });
});
