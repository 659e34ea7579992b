import { Worker } from 'node:worker_threads';

const w = new Worker(new URL('./w.ts', import.meta.url), {
  execArgv: ['--import', 'file:///work/main/node_modules/tsx/dist/esm/index.mjs'],
});
w.on('message', (m) => {
  console.log('got', m);
  w.terminate();
});
w.on('error', (e) => console.log('err', e.message));
