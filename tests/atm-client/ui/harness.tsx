import { stripVTControlCharacters } from 'node:util';
import { render } from 'ink-testing-library';
import { expect } from 'vitest';
import { App, type AppProps } from '../../../atm-client/ui/App.js';
import type { Clock } from '../../../atm-client/ui/clock.js';
import { createSimulatedDispenser } from '../../../atm-client/ui/dispenser.js';
import { MIN_COLUMNS, MIN_ROWS } from '../../../atm-client/ui/hooks/use-terminal-size.js';
import { FakeBank } from '../../helpers/fake-bank.js';

export const KEY = {
  enter: '\r',
  escape: '\u001B',
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  tab: '\t',
  backspace: '\u007F',
  ctrlC: '\u0003',
} as const;

/** The start of every UI test's day: 2025-01-15 09:30:00 UTC. */
export const T0 = Date.UTC(2025, 0, 15, 9, 30, 0);

/** A clock the test moves by hand; interval callbacks fire as time passes them. */
export class FakeClock implements Clock {
  private readonly tickers = new Set<{ intervalMs: number; due: number; tick: () => void }>();

  constructor(public ms: number = T0) {}

  now(): number {
    return this.ms;
  }

  every(intervalMs: number, tick: () => void): () => void {
    const ticker = { intervalMs, due: this.ms + intervalMs, tick };
    this.tickers.add(ticker);
    return () => this.tickers.delete(ticker);
  }

  advance(ms: number): void {
    const target = this.ms + ms;
    for (;;) {
      let soonest: { intervalMs: number; due: number; tick: () => void } | null = null;
      for (const ticker of this.tickers)
        if (ticker.due <= target && (!soonest || ticker.due < soonest.due)) soonest = ticker;
      if (!soonest) break;
      this.ms = soonest.due;
      soonest.due += soonest.intervalMs;
      soonest.tick();
    }
    this.ms = target;
  }
}

/**
 * Ink subscribes to stdin in a passive effect, some milliseconds after the first frame;
 * a key written before that is lost. Waits until the subscription is there.
 */
export async function untilListening(stdin: { listenerCount: (event: string) => number }): Promise<void> {
  const start = Date.now();
  while (stdin.listenerCount('readable') === 0) {
    if (Date.now() - start > 3000) throw new Error('Ink never listened to stdin');
    await delay(5);
  }
}

/** The ATM's stdout shrinks to the smallest window it asks for. */
export function atSmallest(stdout: NodeJS.EventEmitter): void {
  Object.defineProperty(stdout, 'columns', { value: MIN_COLUMNS, configurable: true });
  Object.defineProperty(stdout, 'rows', { value: MIN_ROWS, configurable: true });
  stdout.emit('resize');
}

/** The screen fits the smallest window; unless `bottomBorder` is false, its last row is the box's bottom border. */
export function expectFits(screen: string, name: string, bottomBorder = true): void {
  const lines = screen.split('\n');
  expect(lines.length, `${name} has ${lines.length} rows:\n${screen}`).toBeLessThanOrEqual(MIN_ROWS);
  for (const line of lines) expect([...line].length, `${name}: ${line}`).toBeLessThanOrEqual(MIN_COLUMNS);
  if (bottomBorder) expect(lines.at(-1)?.startsWith('╰'), `${name}: bottom border`).toBe(true);
}

/** Confirms the withdrawal on screen: the cash comes out, and the bank saw this one withdrawal of `cents`. */
export async function confirmWithdrawal(
  atm: Pick<Awaited<ReturnType<typeof renderAtm>>, 'pick' | 'bank'>,
  cents: number,
): Promise<void> {
  await atm.pick(KEY.enter, 'Please take your cash');
  expect(atm.bank.callsOf('withdraw')).toEqual([{ op: 'withdraw', args: [cents] }]);
}

/** A screen's words with borders and line wraps folded into single spaces. */
export function flat(screen: string): string {
  return screen.replace(/[│╭╮╰╯─┌┐└┘\s]+/g, ' ');
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Renders the ATM against a fake bank with a fake clock and an instant dispenser, and
 * waits until the welcome screen listens for keys.
 */
export async function renderAtm(
  options: Partial<AppProps> & {
    bank?: FakeBank;
    /** Leave out the dispenser so the App builds its own (slow) simulated one. */
    appDispenser?: boolean;
  } = {},
) {
  const bank = options.bank ?? new FakeBank();
  const clock = options.clock instanceof FakeClock ? options.clock : new FakeClock();
  bank.now = () => clock.now();
  // The session's terminal is what its certificate would say; the same id the ATM was started with.
  if (options.terminal !== undefined) bank.terminal = options.terminal;
  const { bank: _bank, appDispenser, ...rest } = options;
  const props: AppProps = {
    connector: bank,
    clock,
    ...(appDispenser
      ? {}
      : { dispenser: createSimulatedDispenser({ fail: options.simulateDispenseFailure ?? false, delayMs: 0 }) }),
    ...rest,
  };
  const ui = render(<App {...props} />);

  /** The current screen as plain text (no colours). */
  const frame = (): string => stripVTControlCharacters(ui.lastFrame() ?? '');

  /** Waits until the screen satisfies `check` (a substring or predicate); fails with the screen. */
  async function waitFor(check: string | RegExp | ((screen: string) => boolean), timeoutMs = 5000): Promise<string> {
    const test =
      typeof check === 'string'
        ? (s: string) => s.includes(check)
        : check instanceof RegExp
          ? (s: string) => check.test(s)
          : check;
    const start = Date.now();
    for (;;) {
      const screen = frame();
      if (test(screen)) return screen;
      if (Date.now() - start > timeoutMs) {
        throw new Error(`screen never showed ${String(check)}; last screen:\n${screen}`);
      }
      await delay(10);
    }
  }

  /** Waits until Ink has drawn nothing new for a little while. */
  async function settle(quietMs = 25): Promise<void> {
    let seen = ui.frames.length;
    let quietSince = Date.now();
    const start = Date.now();
    while (Date.now() - quietSince < quietMs && Date.now() - start < 3000) {
      await delay(5);
      if (ui.frames.length !== seen) {
        seen = ui.frames.length;
        quietSince = Date.now();
      }
    }
  }

  /** Sends keys one at a time, letting Ink handle each before the next. */
  async function press(...keys: string[]): Promise<void> {
    for (const key of keys) {
      ui.stdin.write(key);
      await settle();
    }
  }

  /** Types text as one chunk, the way a paste or a fast typist arrives. */
  async function type(text: string): Promise<void> {
    ui.stdin.write(text);
    await settle();
  }

  /** Types each text into a field and presses Enter after it, one field at a time. */
  async function fill(...fields: string[]): Promise<void> {
    for (const text of fields) {
      await type(text);
      await press(KEY.enter);
    }
  }

  type Check = string | RegExp | ((screen: string) => boolean);

  /** Presses `key` and waits until the screen shows `expected`; returns that screen. */
  async function pick(key: string, expected: Check, timeoutMs?: number): Promise<string> {
    await press(key);
    return waitFor(expected, timeoutMs);
  }

  /** Types `text`, presses Enter and waits until the screen shows `expected`; returns that screen. */
  async function enter(text: string, expected: Check, timeoutMs?: number): Promise<string> {
    await fill(text);
    return waitFor(expected, timeoutMs);
  }

  /** From the welcome screen: opens the login form, types the user name and password, and submits. */
  async function submitLogin(user: string, password: string): Promise<void> {
    await press('1');
    await waitFor('User name');
    await fill(user, password);
  }

  /** Log in from the welcome screen and wait for the main menu. */
  async function login(user = 'alice', password = 'Correct-Horse-9'): Promise<void> {
    await waitFor('Log in');
    await submitLogin(user, password);
    await waitFor('Main menu');
  }

  await waitFor('Welcome to Secure ATM');
  await untilListening(ui.stdin);
  return { bank, clock, ui, frame, waitFor, press, type, fill, pick, enter, submitLogin, login };
}
