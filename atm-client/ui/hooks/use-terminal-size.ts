import { useStdout } from 'ink';
import { createContext, useEffect, useState } from 'react';

/** The smallest window every ATM screen fits in (the 64-column frame plus a margin). */
export const MIN_COLUMNS = 66;
export const MIN_ROWS = 20;
export const TOO_SMALL_TEXT = `Please make the window at least ${MIN_COLUMNS}×${MIN_ROWS}`;

/** What a stdout without a size (a pipe, a test) is taken to be. */
const DEFAULT_SIZE = { columns: 80, rows: 24 } as const;

// Erase the screen and the scrollback, cursor home.
const CLEAR_SCREEN = '\u001B[2J\u001B[3J\u001B[H';

export interface TerminalSize {
  columns: number;
  rows: number;
  /** True for one render after a resize: the screen is drawn empty, then afresh. */
  redrawing: boolean;
}

export const TerminalSizeContext = createContext<TerminalSize>({ ...DEFAULT_SIZE, redrawing: false });

export function fitsAtm(size: { columns: number; rows: number }): boolean {
  return size.columns >= MIN_COLUMNS && size.rows >= MIN_ROWS;
}

/**
 * The terminal's size, following every resize. A terminal re-wraps what is on screen when
 * its width changes, so Ink's own "erase the lines I drew" leaves pieces of old frames
 * behind; instead the whole screen is cleared on every resize and the ATM drawn again.
 * Ink skips writing a frame equal to the last one, so one empty frame goes in between.
 */
export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const read = (): TerminalSize => ({
    columns: stdout.columns || DEFAULT_SIZE.columns,
    rows: stdout.rows || DEFAULT_SIZE.rows,
    redrawing: false,
  });
  const [size, setSize] = useState(read);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `read` only reads `stdout`
  useEffect(() => {
    let timer: NodeJS.Timeout | null = null;
    const onResize = () => {
      if (stdout.isTTY) stdout.write(CLEAR_SCREEN);
      setSize({ ...read(), redrawing: true });
      if (timer) clearTimeout(timer);
      // Past Ink's render throttle (30 frames a second), so the empty frame is really written.
      timer = setTimeout(() => {
        timer = null;
        setSize(read());
      }, 50);
    };
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
      if (timer) clearTimeout(timer);
    };
  }, [stdout]);

  return size;
}
