import type { Writable } from 'node:stream'
import pinoPretty from 'pino-pretty'
import type { FastifyServerOptions } from 'fastify'
import type { Redactor } from '../credentials/index.js'

export interface LogOptions {
  /** `false` silences the gateway (tests). */
  enabled?: boolean
  level?: string
  /** Where log lines go; default stdout. */
  stream?: Writable
  /** One readable, coloured line per entry (pino-pretty) instead of JSON: for a terminal. */
  pretty?: boolean
}

// A terminal line: the time, the level, the message, then the fields that say what happened.
const prettyOptions = {
  colorize: true,
  singleLine: true,
  translateTime: 'SYS:HH:MM:ss',
  ignore: 'pid,hostname,reqId',
}

// Headers that carry credentials or signatures are censored by path before serialising.
const censored = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["stripe-signature"]',
  'req.headers["webhook-signature"]',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-api-key"]',
]

// An OAuth callback's code (a grant until exchanged) and state never reach the logs.
const withoutGrant = (url: string): string =>
  url.includes('/oauth/') ? url.replace(/([?&](?:code|state)=)[^&]*/g, '$1[redacted]') : url

interface LoggedError {
  name: string
  message: string
  code?: unknown
  stack?: string
  cause?: unknown
}

/** An error as a log line carries it: its type, code and stack, and its causes (three deep). */
function errorFields(
  error: LoggedError,
  depth = 0,
): { type: string; message: string; stack: string; [field: string]: unknown } {
  const { cause } = error
  return {
    type: error.name,
    message: error.message,
    ...(error.code !== undefined && { code: error.code }),
    stack: error.stack ?? '',
    ...(cause instanceof Error && depth < 3 && { cause: errorFields(cause, depth + 1) }),
  }
}

/**
 * Pino options under which no secret value is written: known headers are censored, and every
 * line's message and fields pass through the redactor (the configured secrets, the admin token
 * and every known secret format).
 */
export function loggerOptions(
  redactor: Redactor,
  options: LogOptions,
): NonNullable<FastifyServerOptions['logger']> {
  if (options.enabled === false) return false
  return {
    level: options.level ?? 'info',
    ...(options.pretty
      ? {
          stream: pinoPretty({
            ...prettyOptions,
            ...(options.stream && { destination: options.stream }),
          }),
        }
      : options.stream && { stream: options.stream }),
    redact: { paths: censored, censor: '[redacted]' },
    serializers: {
      req: (request: { method: string; url: string }) => ({
        method: request.method,
        url: redactor.redact(withoutGrant(request.url)),
      }),
      err: (error: LoggedError) => redactor.redactValue(errorFields(error)),
    },
    formatters: {
      log: (object: Record<string, unknown>) => redactor.redactValue(object),
    },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((arg: unknown) =>
          typeof arg === 'string' ? redactor.redact(arg) : arg,
        ) as Parameters<typeof method>
        method.apply(this, masked)
      },
    },
  }
}
