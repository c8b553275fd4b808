import type { ErrorCode } from './codes.js'

// A registry-wide symbol, so an error made by one installed copy of Seamline is recognised by
// another (two versions in one node_modules tree are common in monorepos).
const brand = Symbol.for('seamline.error')

export interface SeamlineErrorOptions {
  /** What was being done, e.g. `POST` or `sleep`. */
  operation: string
  /** What it was done to, e.g. a URL, a job id or a parameter name. */
  target: string
  /** Why it failed, phrased to follow the target: `failed with 503 after 3 attempts`. */
  reason: string
  cause?: unknown
}

/**
 * The one base class of every error Seamline throws. Its message reads
 * `<operation> <target> <reason>`, and `operation`/`target` are kept as fields for logs.
 */
export class SeamlineError extends Error {
  override readonly name: string = 'SeamlineError'
  readonly code: ErrorCode
  readonly operation: string
  readonly target: string

  constructor(code: ErrorCode, options: SeamlineErrorOptions) {
    super(
      `${options.operation} ${options.target} ${options.reason}`,
      'cause' in options ? { cause: options.cause } : undefined,
    )
    this.code = code
    this.operation = options.operation
    this.target = options.target
    Object.defineProperty(this, brand, { value: true })
  }

  // `instanceof SeamlineError` holds across installed copies too; subclasses keep the ordinary
  // prototype check so `instanceof PermanentError` stays specific.
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === SeamlineError) return isSeamlineError(value)
    return Function.prototype[Symbol.hasInstance].call(this, value)
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      operation: this.operation,
      target: this.target,
    }
  }
}

/** True for any error made by any copy of Seamline. */
export function isSeamlineError(value: unknown): value is SeamlineError {
  return typeof value === 'object' && value !== null && brand in value
}
