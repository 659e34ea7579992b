import { Worker } from 'node:worker_threads';

for (const execArgv of [
  ['--import', 'tsx'],
  ['--import', 'tsx/esm'],
  ['--loader', 'tsx'],
]) {
  await new Promise<void>((res) => {
    const w = new Worker(new URL('file:///tmp/wtest/entry.ts'), { execArgv });
    w.on('message', (m) => {
      console.log(execArgv.join(' '), 'ok', m);
      w.terminate();
      res();
    });
    w.on('error', (e) => {
      console.log(execArgv.join(' '), 'err', String(e).slice(0, 120));
      res();
    });
  });
}
