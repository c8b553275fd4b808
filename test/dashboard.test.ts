import { existsSync, mkdirSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, parseConfig, type Gateway } from '../src/gateway/index.js'
import { useTempSqliteFile } from './helpers/sqlite.js'
import {
  destinationSecret,
  startReceiver,
  stripeDelivery,
  stripeSecret,
  until,
} from './helpers/gateway.js'

// Debian's Chromium, driven headless; under CI a missing browser fails the run instead of
// skipping the suite.
const chromiumPath = process.env.SEAMLINE_CHROMIUM ?? '/usr/bin/chromium'
const haveBrowser = existsSync(chromiumPath)
const artifacts = new URL('../test-artifacts/', import.meta.url)

const adminToken = 'dashboard-admin-token-0123456789'
const path = useTempSqliteFile()

describe.skipIf(!haveBrowser && !process.env.CI)('dashboard in headless Chromium', () => {
  let gateway: Gateway
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  let browser: Browser
  let base: string

  beforeAll(async () => {
    receiver = await startReceiver({ evt_gone: [410] })
    gateway = await createGateway(
      parseConfig({
        store: path,
        webhooks: {
          sources: {
            stripe: {
              provider: 'stripe',
              secrets: ['STRIPE_WHSEC'],
              destination: {
                url: receiver.url,
                secret: 'DEST_WHSEC',
                rateLimit: { perSecond: 50 },
                retry: { maxAttempts: 3 },
              },
            },
          },
        },
      }),
      {
        env: { STRIPE_WHSEC: stripeSecret, DEST_WHSEC: destinationSecret },
        adminToken,
        log: { enabled: false },
        worker: { pollMs: 50 },
        dashboard: { sampleMs: 250 },
      },
    )
    base = await gateway.start(0, '127.0.0.1')
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    mkdirSync(artifacts, { recursive: true })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await gateway?.stop()
    await receiver?.close()
  })

  const send = (id: string) => {
    const delivery = stripeDelivery(id)
    return fetch(`${base}/webhooks/stripe`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    })
  }
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: new URL(`dashboard-${name}.png`, artifacts).pathname, fullPage: true })

  async function loggedIn(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(`${base}/ui/events`)
    expect(new URL(page.url()).pathname).toBe('/ui/login')
    await page.fill('#token', 'not-the-token')
    await page.click('button[type=submit]')
    await page.getByRole('alert').waitFor()
    await page.fill('#token', adminToken)
    await page.click('button[type=submit]')
    await page.waitForURL(`${base}/ui`)
    return page
  }

  it('logs in with the admin token, then watches an event arrive and plots it', async () => {
    const page = await loggedIn()
    await page.locator('#plots figure[data-series="received"] canvas').waitFor()
    await page.goto(`${base}/ui/events`)
    expect(await page.locator('tr[data-event-id="evt_dash_1"]').count()).toBe(0)
    expect((await send('evt_dash_1')).status).toBe(200)
    // The events panel reloads itself every 2 s: the row appears without a page load.
    const row = page.locator('tr[data-event-id="evt_dash_1"]')
    await row.waitFor({ timeout: 20_000 })
    await row.locator('.badge.ok').waitFor({ timeout: 20_000 })
    expect(await row.textContent()).toContain('charge.succeeded')
    await shot(page, 'events')
    await page.goto(`${base}/ui`)
    await until(
      async () => (await page.locator('[data-card="events received"]').textContent()) === '1',
      'the overview counts the event',
    )
    await shot(page, 'overview')
    await page.close()
  }, 60_000)

  it('replays a dead letter with its button', async () => {
    expect((await send('evt_gone')).status).toBe(200)
    const [event] = await gateway.store.inbox.list({ source: 'stripe', eventId: 'evt_gone' })
    const jobId = event?.jobId ?? ''
    await until(async () => (await gateway.store.jobs.get(jobId))?.state === 'dead', 'dead letter')
    const page = await loggedIn()
    await page.goto(`${base}/ui/dead-letters`)
    const row = page.locator(`tr[data-job-id="${jobId}"]`)
    await row.waitFor()
    expect(await row.textContent()).toContain('permanent')
    await shot(page, 'dead-letters')
    await row.getByRole('button', { name: 'Replay' }).click()
    await page
      .getByRole('status')
      .filter({ hasText: `Job ${jobId} replayed` })
      .waitFor()
    // Replayed, the delivery runs again: the destination sees a second attempt.
    await until(
      () => receiver.deliveries.filter((d) => d.eventId === 'evt_gone').length === 2,
      'the replayed delivery',
    )
    await shot(page, 'replayed')
    // Logging out ends the session: the browser lands on the login, and its pages stay shut.
    await page.getByRole('button', { name: 'Log out' }).click()
    await page.waitForURL(`${base}/ui/login`)
    await page.goto(`${base}/ui/dead-letters`)
    expect(new URL(page.url()).pathname).toBe('/ui/login')
    await page.close()
  }, 60_000)

  it('keeps pages behind the login and actions behind htmx, and escapes what it shows', async () => {
    const page = await gateway.app.inject({ url: '/ui/dead-letters' })
    expect(page.statusCode).toBe(303)
    expect(page.headers.location).toBe('/ui/login')
    const login = await gateway.app.inject({
      method: 'POST',
      url: '/ui/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${adminToken}`,
    })
    expect(login.statusCode).toBe(303)
    const cookie = String(login.headers['set-cookie']).split(';')[0] ?? ''
    expect(String(login.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/)
    expect(cookie).not.toContain(adminToken)
    // A form posted from another site carries the cookie but cannot send htmx's header.
    const forged = await gateway.app.inject({
      method: 'POST',
      url: '/ui/dead-letters/replay',
      headers: { cookie },
    })
    expect(forged.statusCode).toBe(403)
    expect((await send('evt_<img src=x onerror=alert(1)>')).status).toBe(200)
    const events = await gateway.app.inject({ url: '/ui/fragments/events', headers: { cookie } })
    expect(events.body).toContain('evt_&lt;img src=x onerror=alert(1)&gt;')
    expect(events.body).not.toContain('<img')
    const html = await gateway.app.inject({ url: '/ui', headers: { cookie } })
    expect(html.headers['content-security-policy']).toContain("script-src 'self'")
  })

  it("shows rate-limit gauges, connections' token health and reconciliation reports, on the dashboard and through the admin API", async () => {
    const login = await gateway.app.inject({
      method: 'POST',
      url: '/ui/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${adminToken}`,
    })
    const cookie = String(login.headers['set-cookie']).split(';')[0] ?? ''
    const get = async (url: string) => (await gateway.app.inject({ url, headers: { cookie } })).body
    expect(await get('/ui/fragments/rate-limits')).toMatch(
      /destination stripe · second[\s\S]*\/ 50/,
    )
    await gateway.store.tokens.put(
      { provider: 'xero', connectionId: 'tenant-1' },
      {
        state: 'reauth_required',
        accessToken: null,
        refreshToken: null,
        expiresAt: null,
        refreshedAt: null,
        lastError: {
          code: 'invalid_grant',
          message: 'refresh token sk_live_0123456789abcdefghij spent',
          at: 1,
        },
        metadata: {},
      },
      1,
    )
    const connections = await get('/ui/connections')
    expect(connections).toContain('tenant-1')
    expect(connections).toContain('reauth_required')
    expect(connections).not.toContain('sk_live_0123456789abcdefghij')
    await gateway.store.reports.save({
      id: 'rep_1',
      name: 'stripe-vs-db',
      startedAt: 1_000,
      finishedAt: 2_000,
      driftRate: 0.25,
      summary: {
        id: 'rep_1',
        name: 'stripe-vs-db',
        startedAt: 1_000,
        durationMs: 1_000,
        engine: 'merge',
        mode: 'full',
        counts: {
          left: 4,
          right: 3,
          matched: 3,
          missingInLeft: 0,
          missingInRight: 1,
          mismatched: 0,
        },
        driftRate: 0.25,
      },
      report: {},
    })
    expect(await get('/ui/reconciliation')).toMatch(/stripe-vs-db[\s\S]*25\.00 %/)

    const api = async (url: string) =>
      JSON.parse(
        (await gateway.app.inject({ url, headers: { authorization: `Bearer ${adminToken}` } }))
          .body,
      ) as Record<string, unknown>
    expect(await api('/api/rate-limits')).toMatchObject({
      rateLimits: [{ subject: 'destination stripe', quota: 'second', limit: 50 }],
    })
    const listed = ((await api('/api/connections')) as { connections: object[] }).connections
    expect(listed).toEqual([
      expect.objectContaining({
        provider: 'xero',
        connectionId: 'tenant-1',
        state: 'reauth_required',
      }),
    ])
    expect(JSON.stringify(listed)).not.toContain('sk_live_0123456789abcdefghij')
    expect(await api('/api/reports?name=stripe-vs-db')).toMatchObject({
      reports: [{ id: 'rep_1', driftRate: 0.25 }],
    })
  })
})
