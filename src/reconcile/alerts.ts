import { createClient, type Client } from '../http/index.js'
import type { Alert, ReconcileReport } from './report.js'

export interface AlertOptions {
  /** Alert when the drift rate is above this (0.01 = 1 %). */
  driftRate?: number
  /** Alert when more records than this are missing on either side (together). */
  missing?: number
  /** Alert when more records than this differ. */
  mismatched?: number
  /** POSTs each alerting report's summary as JSON here, with retries; a failure is recorded, never thrown. */
  webhook?: { url: string; headers?: Record<string, string>; client?: Client }
}

/** The thresholds a report crossed. */
export function alertsOf(report: ReconcileReport, options: AlertOptions): Alert[] {
  const alerts: Alert[] = []
  const check = (threshold: Alert['threshold'], limit: number | undefined, value: number) => {
    if (limit !== undefined && value > limit) alerts.push({ threshold, limit, value })
  }
  const { counts } = report
  check('driftRate', options.driftRate, report.driftRate)
  check('missing', options.missing, counts.missingInLeft + counts.missingInRight)
  check('mismatched', options.mismatched, counts.mismatched)
  return alerts
}

/** Sends the alerts to the webhook; marks each delivered or not. */
export async function deliverAlerts(
  report: ReconcileReport,
  alerts: Alert[],
  webhook: NonNullable<AlertOptions['webhook']>,
): Promise<void> {
  const url = new URL(webhook.url)
  const client =
    webhook.client ??
    createClient({ baseUrl: url.origin, name: 'reconcile-alerts', limiter: false })
  const body = {
    type: 'reconcile.alert',
    reconciler: report.name,
    reportId: report.id,
    startedAt: new Date(report.startedAt).toISOString(),
    alerts: alerts.map(({ threshold, limit, value }) => ({ threshold, limit, value })),
    counts: report.counts,
    driftRate: report.driftRate,
  }
  try {
    await client.post(`${url.pathname}${url.search}`, {
      json: body,
      ...(webhook.headers && { headers: webhook.headers }),
      idempotencyKey: `reconcile-alert:${report.id}`,
    })
    for (const alert of alerts) alert.delivered = true
  } catch (error) {
    for (const alert of alerts) {
      alert.delivered = false
      alert.error = error instanceof Error ? error.message : String(error)
    }
  }
}
