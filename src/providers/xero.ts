import { classify, type Rule } from '../policies/index.js'
import { definePreset } from './define.js'
import { DAY, inFlight, MINUTE, perWindow } from './quota.js'

const baseUrl = 'https://api.xero.com/api.xro/2.0'

/**
 * Xero creates records with PUT as well as POST, so a PUT that may have reached Xero (lost
 * connection, timeout, 5xx) is not the safe repeat the default table takes it for. It is
 * repeated only with an idempotency key, which the client gives every PUT (see
 * `idempotencyMethods`) unless told otherwise.
 */
const putMayCreate: Rule = {
  reason: 'Xero creates records with PUT: not repeated without an idempotency key',
  verdict: 'fail',
  matches: (facts) =>
    facts.method?.toUpperCase() === 'PUT' &&
    facts.idempotencyKey !== true &&
    classify(facts).verdict === 'retry-if-safe',
}

/**
 * Xero Accounting API: OAuth 2.0 bearer tokens and the tenant (organisation) in
 * `xero-tenant-id`, from `params: { tenantId }`. Other Xero APIs (payroll, assets, files) live
 * at other URLs; override `environments` for them.
 */
export const xero = definePreset({
  name: 'xero',
  // A demo company is a tenant like any other: same URL.
  environments: { live: { baseUrl }, sandbox: { baseUrl } },
  defaultEnvironment: 'live',
  auth: { kind: 'bearer' },
  headers: { 'xero-tenant-id': '{tenantId}' },
  // Honoured on POST and PUT, 128 characters at most (Xero's OpenAPI definitions).
  idempotencyHeader: 'Idempotency-Key',
  idempotencyMethods: ['POST', 'PUT'],
  // Per tenant (developer.xero.com/faq/limits); each response reports what is left of each.
  quotas: [
    perWindow('minute', 60, MINUTE, 'minute'),
    perWindow('day', 5_000, DAY, 'day'),
    // Across every tenant of the app: one client sees only its own share unless a shared
    // limiter counts them all, but X-AppMinLimit-Remaining reports the rest.
    perWindow('app-minute', 10_000, MINUTE, 'app-minute'),
    inFlight('concurrent', 5),
  ],
  rules: [putMayCreate],
})
