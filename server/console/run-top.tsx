import { setTimeout as sleep } from 'node:timers/promises';
import { render, renderToString } from 'ink';
import { fetchStatus } from './status-source.js';
import { TopApp } from './TopApp.js';
import { TopScreen } from './TopScreen.js';
import { TopHistory } from './top-history.js';
import { TopUiError } from './top-ui-error.js';
import { linesAsText, TOP_WIDTH, topLines } from './top-view.js';

/** Gap between the two polls --once needs to compute rates. */
const ONCE_GAP_MS = 1_000;

/**
 * One frame for scripts and tests: two polls a second apart (rates need an interval), then the
 * screen as plain text. Throws StatusSourceError when the server cannot be read.
 */
export async function topOnce(endpoint: string, color: boolean): Promise<string> {
  const history = new TopHistory();
  history.push(await fetchStatus(endpoint));
  await sleep(ONCE_GAP_MS);
  history.push(await fetchStatus(endpoint));
  const lines = topLines({
    endpoint,
    figures: history.latest,
    tick: history.lastTick,
    ticks: history.ticks,
    nowMs: Date.now(),
    error: null,
    interactive: false,
  });
  return color ? renderToString(<TopScreen lines={lines} />, { columns: TOP_WIDTH }) : linesAsText(lines);
}

/** The live screen until `q`. Needs a terminal for its keys. */
export async function runTop(endpoint: string, stdin: NodeJS.ReadStream = process.stdin): Promise<void> {
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') {
    throw new TopUiError('`bank-server top` needs an interactive terminal; use --once to print one frame');
  }
  const instance = render(<TopApp endpoint={endpoint} read={() => fetchStatus(endpoint)} />, { stdin });
  try {
    await instance.waitUntilExit();
  } finally {
    instance.cleanup();
  }
}
