import type { ReportSummary } from '../../reconcile/index.js'
import type { ConnectionRecord, InboxListing, JobCounts, JobRecord } from '../../stores/index.js'
import type { RateLimitGauge } from '../limits.js'
import { html, type Safe } from '../html.js'
import { time } from './layout.js'

/** A rendered event: the type is read from the stored body by the gateway. */
export interface EventRow {
  event: InboxListing
  type: string
}

const badge = (text: string, kind: string): Safe => html`<span class="badge ${kind}">${text}</span>`

const stateKind: Record<string, string> = {
  completed: 'ok',
  healthy: 'ok',
  pending: 'wait',
  running: 'wait',
  refreshing: 'wait',
  degraded: 'warn',
  dead: 'bad',
  reauth_required: 'bad',
}

export function cards(counts: JobCounts, received: number, duplicates: number): Safe {
  const card = (label: string, value: number, kind = '') =>
    html`<div class="card ${kind}">
      <span>${label}</span><strong data-card="${label}">${value.toLocaleString('en-US')}</strong>
    </div>`
  return html`<div class="cards">
    ${card('events received', received)} ${card('duplicates acknowledged', duplicates)}
    ${card('jobs ready', counts.ready)} ${card('jobs running', counts.running)}
    ${card('dead letters', counts.dead, counts.dead > 0 ? 'bad' : '')}
  </div>`
}

export function eventsTable(rows: readonly EventRow[]): Safe {
  if (rows.length === 0) return html`<p class="muted">No events received yet.</p>`
  return html`<table>
    <thead>
      <tr>
        <th>received</th>
        <th>source</th>
        <th>event id</th>
        <th>type</th>
        <th>processing</th>
        <th>attempts</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        ({ event, type }) =>
          html`<tr data-event-id="${event.eventId}">
            <td>${time(event.receivedAt)}</td>
            <td>${event.source}</td>
            <td><code>${event.eventId}</code></td>
            <td>${type}</td>
            <td>
              ${event.jobState ? badge(event.jobState, stateKind[event.jobState] ?? '') : html`<span class="muted">gone</span>`}
            </td>
            <td>${event.jobAttempts ?? ''}</td>
          </tr>`,
      )}
    </tbody>
  </table>`
}

export function deadLettersTable(jobs: readonly JobRecord[], notice?: string): Safe {
  const rows = jobs.map(
    (job) =>
      html`<tr data-job-id="${job.id}">
        <td>${time(job.finishedAt)}</td>
        <td>${job.name}</td>
        <td><code>${job.id}</code></td>
        <td>${badge(job.deadReason ?? 'dead', 'bad')}</td>
        <td>${job.attempts}</td>
        <td class="error-text">
          ${job.lastError ? `${job.lastError.name}: ${job.lastError.message}` : ''}
        </td>
        <td class="actions">
          <button hx-post="/ui/dead-letters/${job.id}/replay" hx-target="#dead-letters">
            Replay
          </button>
          <button
            class="secondary"
            hx-post="/ui/dead-letters/${job.id}/discard"
            hx-target="#dead-letters"
            hx-confirm="Discard job ${job.id} for good?"
          >
            Discard
          </button>
        </td>
      </tr>`,
  )
  return html`${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
  ${
    jobs.length === 0
      ? html`<p class="muted">No dead letters.</p>`
      : html`<p>
            <button
              hx-post="/ui/dead-letters/replay"
              hx-target="#dead-letters"
              hx-confirm="Replay every dead letter listed here and beyond, 10 a second?"
            >
              Replay all
            </button>
          </p>
          <table>
            <thead>
              <tr>
                <th>died</th>
                <th>job</th>
                <th>id</th>
                <th>reason</th>
                <th>attempts</th>
                <th>last error</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${rows}
            </tbody>
          </table>`
  }`
}

export function rateLimitGauges(gauges: readonly RateLimitGauge[]): Safe {
  if (gauges.length === 0) return html`<p class="muted">No rate limits are configured.</p>`
  return html`<div class="gauges">
    ${gauges.map((g) => {
      const share = g.limit > 0 ? Math.min(1, g.used / g.limit) : 0
      return html`<div class="gauge">
        <span>${g.subject} · ${g.quota}</span
        ><meter min="0" max="${g.limit}" value="${g.used}" high="${g.limit * 0.8}">${g.used}</meter
        ><strong>${g.used} / ${g.limit}</strong
        ><span class="muted">${Math.round(share * 100)}%</span>
      </div>`
    })}
  </div>`
}

export function connectionsTable(connections: readonly ConnectionRecord[]): Safe {
  if (connections.length === 0) return html`<p class="muted">No OAuth connections.</p>`
  return html`<table>
    <thead>
      <tr>
        <th>provider</th>
        <th>connection</th>
        <th>health</th>
        <th>token expires</th>
        <th>refreshed</th>
        <th>last error</th>
      </tr>
    </thead>
    <tbody>
      ${connections.map(
        (c) =>
          html`<tr data-connection="${c.provider}:${c.connectionId}">
            <td>${c.provider}</td>
            <td><code>${c.connectionId}</code></td>
            <td>${badge(c.state, stateKind[c.state] ?? '')}</td>
            <td>${time(c.expiresAt)}</td>
            <td>${time(c.refreshedAt)}</td>
            <td class="error-text">
              ${c.lastError ? `${c.lastError.code}: ${c.lastError.message}` : ''}
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`
}

export function reportsTable(reports: readonly ReportSummary[]): Safe {
  if (reports.length === 0) return html`<p class="muted">No reconciliation has run yet.</p>`
  return html`<table>
    <thead>
      <tr>
        <th>run</th>
        <th>reconciliation</th>
        <th>left</th>
        <th>right</th>
        <th>matched</th>
        <th>missing left</th>
        <th>missing right</th>
        <th>mismatched</th>
        <th>drift</th>
      </tr>
    </thead>
    <tbody>
      ${reports.map(
        (r) =>
          html`<tr data-report="${r.id}">
            <td>${time(r.startedAt)}</td>
            <td>${r.name}</td>
            <td>${r.counts.left}</td>
            <td>${r.counts.right}</td>
            <td>${r.counts.matched}</td>
            <td>${r.counts.missingInLeft}</td>
            <td>${r.counts.missingInRight}</td>
            <td>${r.counts.mismatched}</td>
            <td>
              ${badge(`${(r.driftRate * 100).toFixed(2)} %`, r.driftRate > 0 ? 'warn' : 'ok')}
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`
}
