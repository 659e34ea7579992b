import { defineConfig } from 'vitest/config';

// `npm test` runs the fast suites; `npm run test:slow` (SLOW_SUITES=1) runs only tests/**/*.slow.test.ts,
// one file at a time, with room for crash-recovery loops, 100k-frame fuzzing and login storms.
const slow = process.env.SLOW_SUITES === '1';

// Every suite runs the sources, so the ledger worker thread needs a bootstrap that compiles them.
const setupFiles = ['tests/helpers/ledger-worker-from-sources.ts'];

export default defineConfig({
  test: slow
    ? {
        setupFiles,
        include: ['tests/**/*.slow.test.{ts,tsx}'],
        allowOnly: false,
        testTimeout: 600_000,
        hookTimeout: 120_000,
        pool: 'forks',
        maxWorkers: 1,
        passWithNoTests: false,
      }
    : {
        setupFiles,
        include: ['tests/**/*.test.{ts,tsx}'],
        exclude: ['tests/**/*.slow.test.{ts,tsx}', 'node_modules', 'dist'],
        allowOnly: false,
        testTimeout: 30_000,
        hookTimeout: 60_000,
        pool: 'forks',
      },
});
