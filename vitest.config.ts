import { defineConfig } from 'vitest/config';

// Unit tests are milliseconds; integration tests start real servers, so they get
// generous per-test time and run one file at a time (2 cores, shared ports).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: ['default'],
  },
});
