// Benchmarks measure the built library, exactly as an app imports it.
export * from '../dist/index.js'
export * as testing from '../dist/testing/index.js'
export * as http from '../dist/http/index.js'
export * as limits from '../dist/limits/index.js'
export * as policies from '../dist/policies/index.js'
