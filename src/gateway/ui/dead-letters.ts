import type { FastifyInstance } from 'fastify'
import { html } from '../html.js'
import type { GatewayServices } from '../services.js'
import { deadLettersTable } from './fragments.js'
import { page } from './layout.js'
import { sendHtml } from './respond.js'

/** The dead letters page and its actions: replay or discard one, replay them all. */
export function deadLetterPages(app: FastifyInstance, { jobs, redactor }: GatewayServices): void {
  const deadLettersNow = async (notice?: string) =>
    deadLettersTable(await jobs.deadLetters.list({ limit: 100 }), notice && redactor.redact(notice))

  app.get('/dead-letters', async (_request, reply) =>
    sendHtml(
      reply,
      page(
        'Dead letters',
        '/ui/dead-letters',
        html`<div id="dead-letters">${await deadLettersNow()}</div>`,
      ),
    ),
  )
  app.get('/fragments/dead-letters', async (_request, reply) =>
    sendHtml(reply, await deadLettersNow()),
  )
  app.post('/dead-letters/:id/replay', async (request, reply) => {
    const { id } = request.params as { id: string }
    const notice = await jobs.deadLetters.replay(id).then(
      () => `Job ${id} replayed: it runs again with its idempotency key kept.`,
      (error: unknown) => `Job ${id} was not replayed: ${(error as Error).message}`,
    )
    return sendHtml(reply, await deadLettersNow(notice))
  })
  app.post('/dead-letters/:id/discard', async (request, reply) => {
    const { id } = request.params as { id: string }
    const notice = await jobs.deadLetters.discard(id).then(
      () => `Job ${id} discarded.`,
      (error: unknown) => `Job ${id} was not discarded: ${(error as Error).message}`,
    )
    return sendHtml(reply, await deadLettersNow(notice))
  })
  app.post('/dead-letters/replay', async (_request, reply) => {
    // Paced, and bounded per click, so a click never becomes a storm against a provider.
    const result = await jobs.deadLetters.replayMany({}, { perSecond: 100, limit: 1_000 })
    return sendHtml(
      reply,
      await deadLettersNow(
        `Replayed ${result.replayed} of ${result.matched}` +
          (result.skipped > 0 ? `; ${result.skipped} left: a newer job holds their key.` : '.'),
      ),
    )
  })
}
