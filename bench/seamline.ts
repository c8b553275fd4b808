// Benchmarks measure the built library, exactly as an app imports it.
export * from '../dist/index.js'
export * as testing from '../dist/testing/index.js'
