import { Readable } from 'node:stream'
import { Agent, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createJobs, type Jobs } from '../../src/jobs/index.js'
import { sqliteStore, type Store } from '../../src/stores/index.js'
import { webhookScheme } from '../../src/webhooks/index.js'
import { createWebhookInbox, type WebhookInbox } from '../../src/webhooks/inbox/index.js'
import { useTempSqliteFile } from '../helpers/sqlite.js'

/** An inbox served over HTTP on 127.0.0.1 by one adapter. */
export interface ServedInbox {
  /** `http://127.0.0.1:<port>` */
  origin: string
  close(): Promise<void>
}

/** What the shared suite needs from an adapter. */
export interface WebhookAdapterDriver {
  /**
   * Serves `inbox` on 127.0.0.1 port 0 through the adapter: `POST /webhooks/:source` with the
   * source taken from the path, and `POST /fixed` with the source fixed to `fixed`.
   */
  serve(inbox: WebhookInbox, fixed: string): Promise<ServedInbox>
}

export const conformanceSecret = 'whsec_adapter_conformance'
/** The inbox's limit in the suite; 413 tests send more. */
export const conformanceMaxBodyBytes = 64 * 1024

/** A Stripe delivery of `body`, signed now. */
export function signedStripe(body: string | Uint8Array, secret = conformanceSecret) {
  return {
    'content-type': 'application/json; charset=utf-8',
    ...webhookScheme('stripe').sign({ payload: body, secret }),
  }
}

const eventBody = (id: string) =>
  JSON.stringify({ id, object: 'event', type: 'invoice.paid', data: { object: { id: 'in_1' } } })

/**
 * The behaviour every webhook adapter must have, whatever framework it sits in: raw bytes in,
 * the inbox's answer out.
 */
export function describeWebhookAdapterConformance(
  adapter: string,
  driver: WebhookAdapterDriver,
): void {
  describe(`webhook adapter conformance: ${adapter}`, () => {
    const path = useTempSqliteFile()
    const dispatcher = new Agent({ connections: 4 })
    let store: Store
    let jobs: Jobs
    let served: ServedInbox
    let failing: ServedInbox

    beforeAll(async () => {
      store = sqliteStore({ path })
      jobs = createJobs({ store })
      const sources = {
        stripe: { scheme: 'stripe' as const, secrets: [conformanceSecret] },
        square: { scheme: 'square' as const, secrets: [conformanceSecret] },
      }
      const inbox = createWebhookInbox({
        store,
        jobs,
        sources,
        maxBodyBytes: conformanceMaxBodyBytes,
      })
      served = await driver.serve(inbox, 'stripe')
      const broken: Store = {
        ...store,
        inbox: { ...store.inbox, receive: () => Promise.reject(new Error('disk I/O error')) },
      }
      failing = await driver.serve(createWebhookInbox({ store: broken, jobs, sources }), 'stripe')
    })
    afterAll(async () => {
      await dispatcher.close()
      await served?.close()
      await failing?.close()
      await jobs?.stop({ timeoutMs: 0 })
      await store?.close()
    })

    async function post(
      to: string,
      headers: Record<string, string>,
      body: string | Uint8Array,
      origin = served.origin,
    ) {
      const response = await request(`${origin}${to}`, {
        method: 'POST',
        headers,
        body,
        dispatcher,
      })
      const text = await response.body.text()
      return { status: response.statusCode, text }
    }

    const stored = async (id: string) => (await store.inbox.get('stripe', id))?.body

    it('stores a signed event with its exact bytes, then answers 200', async () => {
      const body = eventBody('evt_first')
      const response = await post('/webhooks/stripe', signedStripe(body), body)
      expect(response.status).toBe(200)
      expect(JSON.parse(response.text)).toEqual({ received: true })
      expect(Buffer.from((await stored('evt_first')) ?? [])).toEqual(Buffer.from(body))
    })

    it('answers 200 to the same delivery again, as a duplicate', async () => {
      const body = eventBody('evt_twice')
      const headers = signedStripe(body)
      expect((await post('/webhooks/stripe', headers, body)).status).toBe(200)
      const again = await post('/webhooks/stripe', headers, body)
      expect(again.status).toBe(200)
      expect(JSON.parse(again.text)).toEqual({ received: true, duplicate: true })
    })

    it('answers 401 to an altered body or a missing signature, and stores nothing', async () => {
      const body = eventBody('evt_altered')
      const altered = body.replace('invoice.paid', 'invoice.pain')
      expect((await post('/webhooks/stripe', signedStripe(body), altered)).status).toBe(401)
      const unsigned = { 'content-type': 'application/json' }
      expect((await post('/webhooks/stripe', unsigned, body)).status).toBe(401)
      expect(await stored('evt_altered')).toBeUndefined()
    })

    it('verifies bytes that a JSON round trip would change', async () => {
      const body =
        String.raw`{ "id": "evt_bytes",  "object": "event", "type": "x", "a": 1.0, "b": "\u00e9", "c": "é" }` +
        '\n'
      expect(JSON.stringify(JSON.parse(body))).not.toBe(body)
      const response = await post('/webhooks/stripe', signedStripe(body), body)
      expect(response.status).toBe(200)
      expect(Buffer.from((await stored('evt_bytes')) ?? [])).toEqual(Buffer.from(body))
    })

    it('verifies a scheme that signs the URL, with the URL the request came to', async () => {
      const body = JSON.stringify({ event_id: 'sq_evt_1', type: 'payment.created', data: {} })
      const url = `${served.origin}/webhooks/square`
      const headers = {
        'content-type': 'application/json',
        ...webhookScheme('square').sign({ payload: body, secret: conformanceSecret, url }),
      }
      expect((await post('/webhooks/square', headers, body)).status).toBe(200)
      expect(await store.inbox.get('square', 'sq_evt_1')).toBeDefined()
      const elsewhere = webhookScheme('square').sign({
        payload: body,
        secret: conformanceSecret,
        url: `${served.origin}/somewhere/else`,
      })
      expect((await post('/webhooks/square', { ...headers, ...elsewhere }, body)).status).toBe(401)
    })

    it('answers 413 to a body over the limit, without reading all of it', async () => {
      const chunk = Buffer.alloc(16 * 1024, 0x20)
      const offered = 1024 * 1024 * 1024
      let produced = 0
      const endless = Readable.from(
        (function* () {
          while (produced < offered) {
            produced += chunk.byteLength
            yield chunk
          }
        })(),
      )
      const body = eventBody('evt_huge')
      // The upload never ends, so its connection is ended by the client once it has its answer.
      const uploader = new Agent({ connections: 1 })
      try {
        const response = await request(`${served.origin}/webhooks/stripe`, {
          method: 'POST',
          headers: signedStripe(body),
          body: endless,
          dispatcher: uploader,
        })
        expect(response.statusCode).toBe(413)
        await response.body.dump()
      } finally {
        await uploader.destroy()
      }
      expect(produced).toBeLessThan(offered)
      const declared = Buffer.alloc(conformanceMaxBodyBytes + 1, 0x20)
      expect((await post('/webhooks/stripe', signedStripe(body), declared)).status).toBe(413)
    })

    it('answers the next request on a kept-alive connection after refusing a large body', async () => {
      const one = new Agent({ connections: 1 })
      try {
        for (const n of [1, 2]) {
          const refused = await request(`${served.origin}/webhooks/stripe`, {
            method: 'POST',
            headers: signedStripe('{}'),
            body: Buffer.alloc(16 * conformanceMaxBodyBytes, 0x20),
            dispatcher: one,
          })
          expect(refused.statusCode).toBe(413)
          await refused.body.dump()
          const body = eventBody(`evt_after_refusal_${n}`)
          const next = await request(`${served.origin}/webhooks/stripe`, {
            method: 'POST',
            headers: signedStripe(body),
            body,
            dispatcher: one,
          })
          expect(next.statusCode).toBe(200)
          await next.body.dump()
        }
      } finally {
        await one.destroy()
      }
    })

    it('answers 404 for a source it does not know', async () => {
      const body = eventBody('evt_nowhere')
      expect((await post('/webhooks/nowhere', signedStripe(body), body)).status).toBe(404)
    })

    it('takes a fixed source', async () => {
      const body = eventBody('evt_fixed')
      expect((await post('/fixed', signedStripe(body), body)).status).toBe(200)
      expect(await stored('evt_fixed')).toBeDefined()
    })

    it('answers 503, never 4xx, when the store fails', async () => {
      const body = eventBody('evt_unstored')
      const response = await post('/webhooks/stripe', signedStripe(body), body, failing.origin)
      expect(response.status).toBe(503)
    })
  })
}
