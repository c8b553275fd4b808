import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/helpers/services-setup.ts'],
    // Integration tests share PostgreSQL and Redis with each other; each file isolates itself
    // (own schema, own key prefix), so files may still run in parallel.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
