import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One tmux call on a private socket; `-f /dev/null` keeps the developer's ~/.tmux.conf out. */
async function tmux(socket: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run('tmux', ['-L', socket, '-f', '/dev/null', ...args], {
    encoding: 'utf8',
    timeout: 10_000,
    ...(env === undefined ? {} : { env }),
  });
  return stdout;
}

/** Quotes one word for the POSIX shell tmux runs a pane's command with. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export type ScreenMatch = string | RegExp | ((screen: string) => boolean);

function matches(screen: string, expected: ScreenMatch): boolean {
  if (typeof expected === 'string') return screen.includes(expected);
  if (expected instanceof RegExp) return expected.test(screen);
  return expected(screen);
}

function describeMatch(expected: ScreenMatch): string {
  return typeof expected === 'function' ? 'the expected screen' : JSON.stringify(String(expected));
}

/**
 * A real pseudo-terminal: a detached tmux session on its own server socket, so parallel
 * tests and the developer's own tmux never meet. Keys go in with `send-keys`, the screen
 * comes out as plain text with `capture-pane -p`.
 */
export class TmuxTerminal {
  private constructor(
    readonly socket: string,
    readonly target: string,
  ) {}

  /**
   * Starts `command` (a shell command line) in a `cols`×`rows` pane. The tmux server
   * takes its environment from `env`, and the pane its working directory from `cwd`.
   */
  static async start(options: {
    command: string;
    cwd: string;
    env: NodeJS.ProcessEnv;
    cols?: number;
    rows?: number;
  }): Promise<TmuxTerminal> {
    const socket = `atm-e2e-${process.pid}-${randomBytes(4).toString('hex')}`;
    const session = 'atm';
    await tmux(
      socket,
      [
        'new-session',
        '-d',
        '-s',
        session,
        '-x',
        String(options.cols ?? 100),
        '-y',
        String(options.rows ?? 40),
        '-c',
        options.cwd,
        options.command,
      ],
      options.env,
    );
    return new TmuxTerminal(socket, `${session}:0.0`);
  }

  /** The visible screen as plain text, trailing blank lines dropped. */
  async screen(): Promise<string> {
    const text = await tmux(this.socket, ['capture-pane', '-p', '-t', this.target]);
    return text.replace(/\s+$/, '');
  }

  /** Resizes the window (and so the pane) as a user dragging the terminal's corner would. */
  async resize(cols: number, rows: number): Promise<void> {
    await tmux(this.socket, [
      'resize-window',
      '-t',
      this.target.split(':')[0] ?? 'atm',
      '-x',
      String(cols),
      '-y',
      String(rows),
    ]);
  }

  /** Named keys, as tmux spells them: "Enter", "Escape", "Down", "C-c", or a single character. */
  async press(...keys: string[]): Promise<void> {
    await tmux(this.socket, ['send-keys', '-t', this.target, ...keys]);
  }

  /** Text typed literally (no key-name lookup), e.g. a password with symbols. */
  async type(text: string): Promise<void> {
    await tmux(this.socket, ['send-keys', '-t', this.target, '-l', text]);
  }

  /** Each text typed into a field, then Enter, one field after the other. */
  async fill(...fields: string[]): Promise<void> {
    for (const text of fields) {
      await this.type(text);
      await this.press('Enter');
    }
  }

  /**
   * Polls the screen until it matches, and returns it. After `timeoutMs` it throws with
   * the last screen in the message, so a failure shows what the terminal looked like.
   */
  async waitFor(expected: ScreenMatch, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      try {
        last = await this.screen();
      } catch (error) {
        last = `(capture-pane failed: ${error instanceof Error ? error.message : String(error)})`;
      }
      if (matches(last, expected)) return last;
      if (Date.now() >= deadline) {
        throw new Error(
          `the terminal did not show ${describeMatch(expected)} within ${timeoutMs} ms; last screen:\n${last}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops the tmux server and everything running in it; harmless if it is already gone. */
  async kill(): Promise<void> {
    const socketPath = await tmux(this.socket, ['display-message', '-p', '#{socket_path}']).catch(() => '');
    await tmux(this.socket, ['kill-server']).catch(() => undefined);
    // tmux 3.3 leaves its socket file behind; one per run would pile up in /tmp/tmux-<uid>.
    if (socketPath.trim() !== '') await rm(socketPath.trim(), { force: true });
  }
}

/** Fails fast, with one clear line, when tmux is not installed (CI installs it). */
export async function assertTmuxInstalled(): Promise<void> {
  try {
    await run('tmux', ['-V'], { timeout: 5_000 });
  } catch {
    throw new Error('the end-to-end ATM test needs tmux on the PATH (apt-get install tmux)');
  }
}
