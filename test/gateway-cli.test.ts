import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { until } from './helpers/gateway.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = join(root, 'dist/cli/index.js')
const dir = mkdtempSync(join(tmpdir(), 'seamline-start-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>
  return { child, exited, output: () => ({ stdout, stderr }) }
}

async function started(process: ReturnType<typeof run>): Promise<string> {
  await until(() => {
    if (process.child.exitCode !== null) throw new Error(process.output().stderr)
    return /Stop with Ctrl-C/.test(process.output().stdout)
  }, 'the gateway printing its URL')
  const url = /Seamline gateway (?:\(demo\) )?on (http:\/\/\S+)/.exec(process.output().stdout)?.[1]
  if (!url) throw new Error(`no URL in ${process.output().stdout}`)
  return url
}

describe('seamline start', () => {
  it('serves /healthz on the port it printed, and exits 0 on SIGTERM', async () => {
    const config = join(dir, 'plain.json')
    writeFileSync(config, JSON.stringify({ store: join(dir, 'plain.sqlite') }))
    const gateway = run(['start', '--config', config, '--port', '0'], {
      SEAMLINE_ADMIN_TOKEN: 'cli-admin-token-0123456789abcdefghij',
    })
    try {
      const url = await started(gateway)
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
      expect((await fetch(`${url}/readyz`)).status).toBe(200)
      expect(gateway.output().stdout).toContain('admin token        from $SEAMLINE_ADMIN_TOKEN')
      expect(gateway.output().stdout).not.toContain('cli-admin-token-0123456789abcdefghij')
      const api = await fetch(`${url}/api/sources`, {
        headers: { authorization: 'Bearer cli-admin-token-0123456789abcdefghij' },
      })
      expect(await api.json()).toEqual({ sources: [] })
    } finally {
      gateway.child.kill('SIGTERM')
    }
    const [code] = await gateway.exited
    expect(code).toBe(0)
  })

  it('logs requests at debug only, reads --log-level and --log-format, and says when it stopped', async () => {
    const config = join(dir, 'logs.json')
    writeFileSync(config, JSON.stringify({ store: join(dir, 'logs.sqlite') }))
    const lines = async (args: string[]) => {
      const gateway = run(['start', '--config', config, '--port', '0', ...args])
      const url = await started(gateway)
      await (await fetch(`${url}/healthz`)).text()
      await new Promise((resolve) => setTimeout(resolve, 200))
      gateway.child.kill('SIGTERM')
      const [code] = await gateway.exited
      expect(code).toBe(0)
      return gateway.output().stdout
    }
    const info = await lines(['--log-format', 'json'])
    expect(info).not.toContain('request completed')
    expect(info).toContain('Seamline gateway stopped')
    const debug = await lines(['--log-format', 'json', '--log-level', 'debug'])
    const completed = debug
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; status?: number })
      .find((line) => line.msg === 'request completed')
    expect(completed).toMatchObject({ level: 20, status: 200 })
    // A person's terminal: one line per entry, no JSON around the message.
    const pretty = await lines(['--log-format', 'pretty'])
    // eslint-disable-next-line no-control-regex
    expect(pretty.replace(/\u001b\[\d+m/g, '')).toMatch(
      /^\[\d\d:\d\d:\d\d\] INFO: Server listening at /m,
    )
    const refused = run(['start', '--config', config, '--log-level', 'loud'])
    expect((await refused.exited)[0]).toBe(2)
  })

  it('reads a TypeScript configuration on this Node version', async () => {
    const config = join(dir, 'seamline.config.ts')
    writeFileSync(
      config,
      `interface Config { store: string }\nconst config: Config = { store: ${JSON.stringify(join(dir, 'ts.sqlite'))} }\nexport default config\n`,
    )
    const gateway = run(['start', '--port', '0'])
    try {
      await started(gateway)
      expect(gateway.output().stdout).toContain(`config             ${config}`)
      expect(gateway.output().stdout).toContain(`store              ${join(dir, 'ts.sqlite')}`)
      // No admin API, so no hint to call it.
      expect(gateway.output().stdout).toContain('admin API          off')
      expect(gateway.output().stdout).not.toContain('try  ')
    } finally {
      gateway.child.kill('SIGTERM')
      rmSync(config)
    }
    expect((await gateway.exited)[0]).toBe(0)
  })

  it('refuses an invalid configuration naming the key, with exit code 2', async () => {
    const config = join(dir, 'bad.yaml')
    writeFileSync(
      config,
      "webhooks:\n  sources:\n    stripe:\n      provider: stripe\n      secrets: ['']\n      destination: { url: 'http://127.0.0.1:1/x', secret: APP }\n",
    )
    const gateway = run(['start', '--config', config, '--port', '0'])
    const [code] = await gateway.exited
    expect(code).toBe(2)
    expect(gateway.output().stderr).toContain(
      'webhooks.sources.stripe.secrets[0]: expected a non-empty string',
    )
  })

  it('runs the demo of npm start: simulated Stripe events verified, deduplicated and forwarded', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: { start: string }
    }
    // The same command as `npm start`, on a free port and a store of its own.
    const args = pkg.scripts.start.replace(/^node dist\/cli\/index\.js /, '').split(' ')
    expect(args.slice(0, 2)).toEqual(['start', '--demo'])
    const configAt = args.indexOf('--config') + 1
    args[configAt] = join(root, args[configAt] as string)
    const demo = run([...args, '--port', '0', '--store', join(dir, 'demo.sqlite')])
    try {
      const url = await started(demo)
      const token = /admin token\s+(\S+)/.exec(demo.output().stdout)?.[1]
      await until(
        () => /demo app: evt_demo_\S+ .* signature verified/.test(demo.output().stdout),
        'the demo app receiving a forwarded event',
      )
      await until(
        () => /webhook duplicate acknowledged/.test(demo.output().stdout),
        'a duplicate delivery acknowledged',
      )
      const answer = await fetch(`${url}/api/events?source=stripe`, {
        headers: { authorization: `Bearer ${token}` },
      })
      const { events } = (await answer.json()) as { events: { id: string }[] }
      expect(events.length).toBeGreaterThan(0)
      // Each event was delivered twice by the sender and stored once.
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length)
      const metrics = await (await fetch(`${url}/metrics`)).text()
      expect(metrics).toMatch(/seamline_webhooks_duplicate_total\{source="stripe"\} [1-9]/)
      expect(demo.output().stdout).not.toMatch(/whsec_/)
      // The simulated Xero user, connected at start, has its 40-second token refreshed.
      expect(demo.output().stdout).toContain('connected Xero as "demo"')
      await until(
        async () =>
          /seamline_oauth_token_refreshes_total\{provider="xero",reason="expiry",outcome="refreshed"\} [1-9]/.test(
            await (await fetch(`${url}/metrics`)).text(),
          ),
        'a token refresh',
        60_000,
      )
      const connection = await fetch(`${url}/api/connections/xero/demo`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(await connection.json()).toMatchObject({ state: 'healthy' })
      // The demo app's proxy token, printed, is what the proxy takes; nothing else is.
      const proxyToken = /proxy token\s+(\S+)/.exec(demo.output().stdout)?.[1]
      const customers = await fetch(`${url}/proxy/stripe/v1/customers?limit=1`, {
        headers: { authorization: `Bearer ${proxyToken}` },
      })
      expect(customers.status).toBe(200)
      const stranger = await fetch(`${url}/proxy/stripe/v1/customers?limit=1`)
      expect(stranger.status).toBe(401)
      expect(await stranger.json()).toMatchObject({ error: { code: 'proxy_token_required' } })
    } finally {
      demo.child.kill('SIGTERM')
    }
    expect((await demo.exited)[0]).toBe(0)
  }, 120_000)

  it('refuses providers without a proxy token, naming the key, with exit code 2', async () => {
    const config = join(dir, 'open-proxy.yaml')
    writeFileSync(config, 'providers:\n  stripe:\n    credentials: { apiKey: STRIPE_SECRET_KEY }\n')
    const gateway = run(['start', '--config', config, '--port', '0'])
    const [code] = await gateway.exited
    expect(code).toBe(2)
    expect(gateway.output().stderr).toContain('proxy.tokens: expected at least one proxy token')
  })

  it('refuses to start in one line naming the key and the cause, with the documented exit code', async () => {
    const cases = [
      [
        { store: join(dir, 'missing', 'dir', 'x.sqlite') },
        2,
        /^seamline start: .*store .*directory that does not exist/,
      ],
      [
        { store: 'postgres://postgres@127.0.0.1:1/test' },
        1,
        /^seamline start: .*store .*does not answer \(ECONNREFUSED/,
      ],
      [
        { store: join(dir, 'r.sqlite'), redis: 'redis://127.0.0.1:1' },
        1,
        /^seamline start: .*redis .*does not answer \(ECONNREFUSED\)/,
      ],
      [
        { store: join(dir, 'h.sqlite'), server: { host: 'no-such-host.invalid' } },
        2,
        /^seamline start: .*server\.host \(no-such-host\.invalid\) does not resolve/,
      ],
      [
        { store: join(dir, 'a.sqlite'), admin: { tokenEnv: 'SHORT_ADMIN_TOKEN' } },
        2,
        /^seamline start: .*admin\.tokenEnv \(\$SHORT_ADMIN_TOKEN\).*at least 32/,
      ],
    ] as const
    await Promise.all(
      cases.map(async ([config, exitCode, line], i) => {
        const file = join(dir, `refused-${i}.json`)
        writeFileSync(file, JSON.stringify(config))
        const gateway = run(['start', '--config', file, '--port', '0'], {
          SHORT_ADMIN_TOKEN: 'short',
        })
        const [code] = await gateway.exited
        const stderr = gateway.output().stderr.trim()
        expect({ code, lines: stderr.split('\n').length }, stderr).toEqual({
          code: exitCode,
          lines: 1,
        })
        expect(stderr).toMatch(line)
      }),
    )
  })

  it('makes tokens: 256 random bits each, named by their use', async () => {
    const made = await Promise.all(
      [
        ['token', 'create'],
        ['token', 'create'],
        ['token', 'create', '--admin'],
      ].map(async (args) => {
        const command = run(args)
        expect((await command.exited)[0]).toBe(0)
        return command.output().stdout.trim()
      }),
    )
    expect(made[0]).toMatch(/^sl_proxy_[A-Za-z0-9_-]{43}$/)
    expect(made[1]).not.toBe(made[0])
    expect(made[2]).toMatch(/^sl_admin_[A-Za-z0-9_-]{43}$/)
  })

  it('prints its version', async () => {
    const version = run(['version'])
    expect((await version.exited)[0]).toBe(0)
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
    expect(version.output().stdout.trim()).toBe(pkg.version)
  })
})
