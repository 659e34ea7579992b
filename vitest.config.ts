import { defineConfig } from 'vitest/config';

// `npm test` runs the fast suites; `npm run test:slow` (SLOW_SUITES=1) runs only tests/**/*.slow.test.ts,
// one file at a time, with room for crash-recovery loops, 100k-frame fuzzing and login storms.
const slow = process.env.SLOW_SUITES === '1';

export default defineConfig({
  test: slow
    ? {
        include: ['tests/**/*.slow.test.{ts,tsx}'],
        allowOnly: false,
        testTimeout: 600_000,
        hookTimeout: 120_000,
        pool: 'forks',
        maxWorkers: 1,
        passWithNoTests: false,
      }
    : {
        include: ['tests/**/*.test.{ts,tsx}'],
        exclude: ['tests/**/*.slow.test.{ts,tsx}', 'node_modules', 'dist'],
        allowOnly: false,
        testTimeout: 30_000,
        hookTimeout: 60_000,
        pool: 'forks',
      },
});
