import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { createGateway, parseConfig } from '../src/gateway/index.js'
import { until } from './helpers/gateway.js'
import { useTempSqliteFile } from './helpers/sqlite.js'

const library = pathToFileURL(
  fileURLToPath(new URL('../dist/reconcile/index.js', import.meta.url)),
).href
const dir = mkdtempSync(join(tmpdir(), 'seamline-gateway-reconcile-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const store = useTempSqliteFile('gateway-reconcile.sqlite')

// The app's reconcilers: orders in its database export against the provider's, one drifted.
writeFileSync(join(dir, 'left.jsonl'), '{"id":"a","total":"10.50"}\n{"id":"b","total":2}\n')
writeFileSync(join(dir, 'right.jsonl'), '{"id":"a","total":10.5}\n{"id":"b","total":20}\n')
const module = join(dir, 'reconcilers.mjs')
writeFileSync(
  module,
  `import { createReconcile, jsonLinesSource } from ${JSON.stringify(library)}
const here = new URL('.', import.meta.url).pathname
const reconcile = createReconcile()
reconcile.define('orders', {
  fields: ['total'],
  left: { source: jsonLinesSource(here + 'left.jsonl', { ordered: true }) },
  right: { source: jsonLinesSource(here + 'right.jsonl', { ordered: true }) },
})
export let closed = 0
export function close() { closed++ }
export default reconcile
`,
)

describe('gateway reconciliations', () => {
  it('runs each configured reconciler on its schedule, its reports in the admin API', async () => {
    const gateway = await createGateway(
      parseConfig({ store, reconciliations: [{ name: 'orders', every: '1s', module }] }),
      {
        adminToken: 'reconcile-admin-token-0123456789abcdef',
        log: { enabled: false },
        worker: { pollMs: 50 },
      },
    )
    const reports = async () => {
      const answer = await gateway.app.inject({
        url: '/api/reports?name=orders',
        headers: { authorization: 'Bearer reconcile-admin-token-0123456789abcdef' },
      })
      return answer.json<{ reports: { id: string; driftRate: number }[] }>().reports
    }
    try {
      await until(async () => (await reports()).length >= 2, 'two scheduled runs', 15_000)
      const [latest] = await reports()
      expect(latest!.driftRate).toBe(0.5)
      const metrics = (await gateway.app.inject({ url: '/metrics' })).body
      expect(metrics).toContain('seamline_reconcile_drift_ratio{name="orders"} 0.5')
    } finally {
      await gateway.stop()
    }
    const { closed } = (await import(pathToFileURL(module).href)) as { closed: number }
    expect(closed).toBe(1)
  })

  it('refuses to start with a reconciler the module does not define, or a bad schedule', async () => {
    await expect(
      createGateway(
        parseConfig({ store, reconciliations: [{ name: 'invoices', every: '1h', module }] }),
        { log: { enabled: false } },
      ),
    ).rejects.toMatchObject({
      code: 'SEAM_ERR_CONFIG_INVALID',
      target: 'reconciliations[0].name',
      message: expect.stringContaining('it defines: orders') as string,
    })
    await expect(
      createGateway(
        parseConfig({ store, reconciliations: [{ name: 'orders', every: 'hourly', module }] }),
        { log: { enabled: false } },
      ),
    ).rejects.toMatchObject({ code: 'SEAM_ERR_CONFIG_INVALID', target: 'reconciliations[0].every' })
    await expect(
      createGateway(
        parseConfig({
          store,
          reconciliations: [{ name: 'orders', every: '1h', module: join(dir, 'missing.mjs') }],
        }),
        { log: { enabled: false } },
      ),
    ).rejects.toMatchObject({
      code: 'SEAM_ERR_CONFIG_INVALID',
      target: 'reconciliations[0].module',
    })
  })
})
