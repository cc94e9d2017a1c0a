import { defineConfig } from 'vitest/config';

// With TESSERA_TEST_PG (a PostgreSQL server; CI starts one), the relay's own tests run a
// second time with every in-process relay on a fresh PostgreSQL database.
const postgres = Boolean(process.env.TESSERA_TEST_PG);

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests spawn CLI processes and scrypt; two cores are all there is.
    maxWorkers: 2,
    projects: [
      { extends: true as const, test: { name: 'tessera', include: ['src-*/**/*.test.{ts,tsx}', 'test/**/*.test.{ts,tsx}'] } },
      ...(postgres ? [{ extends: true as const, test: { name: 'relay on postgres', include: ['src-relay/**/*.test.ts'], env: { TESSERA_TEST_RELAY_BACKEND: 'postgres' } } }] : []),
    ],
  },
});
