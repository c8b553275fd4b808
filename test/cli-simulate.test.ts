import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const bin = fileURLToPath(new URL('../dist/cli/index.js', import.meta.url))

function run(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>
  return { child, exited, output: () => ({ stdout, stderr }) }
}

describe('seamline simulate', () => {
  it('prints its URL and credentials, serves the profile with the faults asked for, and stops on SIGTERM', async () => {
    const sim = run([
      'simulate',
      'stripe',
      '--seed',
      '3',
      '--faults',
      'GET /v1/charges|503=1',
      '--rate',
      '50',
    ])
    try {
      while (!/Stop with Ctrl-C/.test(sim.output().stdout)) {
        if (sim.child.exitCode !== null) throw new Error(sim.output().stderr)
        await new Promise((r) => setTimeout(r, 20))
      }
      const { stdout } = sim.output()
      const url = /on (http:\/\/127\.0\.0\.1:\d+) \(seed 3\)/.exec(stdout)?.[1]
      const apiKey = /apiKey\s+(sk_test_\S+)/.exec(stdout)?.[1]
      expect(stdout).toMatch(/webhookSecret\s+whsec_/)
      const auth = { authorization: `Bearer ${apiKey}` }
      expect((await fetch(`${url}/v1/customers`, { headers: auth })).status).toBe(200)
      expect((await fetch(`${url}/v1/charges`, { headers: auth })).status).toBe(503)
    } finally {
      sim.child.kill('SIGTERM')
    }
    const [code] = await sim.exited
    expect(code).toBe(0)
    expect(sim.output().stdout.trim().split('\n').at(-1)).toBe(
      'requests 2 · executions 0 · duplicates 0 · 429s 0 · faults 1 · peak 1 · refreshes 0',
    )
  })

  it('refuses a fault list it cannot read, naming the item, with exit code 2', async () => {
    const sim = run(['simulate', 'github', '--faults', '418=0.5'])
    const [code] = await sim.exited
    expect(code).toBe(2)
    expect(sim.output().stderr).toMatch(
      /^seamline simulate: parse faults "418=0\.5" names no fault/,
    )
  })

  it('refuses an unknown profile', async () => {
    const sim = run(['simulate', 'paypal'])
    const [code] = await sim.exited
    expect(code).not.toBe(0)
    expect(sim.output().stderr).toMatch(
      /'paypal' is invalid for argument 'profile'\. Allowed choices are stripe, github, shopify, xero, openai, generic/,
    )
  })
})
