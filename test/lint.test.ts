import { fileURLToPath } from 'node:url'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('..', import.meta.url))

describe('lint', () => {
  it('reports floating and misused promises as errors', async () => {
    // The fixture is excluded from `npm run lint`; `ignore: false` lints it with the same rules.
    const eslint = new ESLint({ cwd: root, ignore: false })
    const [result] = await eslint.lintFiles(['test/fixtures/lint/floating-promise.ts'])
    const errors = (result?.messages ?? [])
      .filter((m) => m.severity === 2)
      .map((m) => `${m.line}:${m.ruleId}`)
    expect(errors).toEqual([
      '5:@typescript-eslint/no-floating-promises',
      '9:@typescript-eslint/no-misused-promises',
    ])
    // Type-aware rules build the whole project's program first: slow on a busy machine.
  }, 120_000)
})
