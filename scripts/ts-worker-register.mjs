// @ts-check
// Lets a worker thread started from the TypeScript sources (the tests) load .ts files; the
// built package starts compiled workers and never needs it.
import { register } from 'node:module'

register('./ts-worker-hooks.mjs', import.meta.url)
