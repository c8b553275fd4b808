import { describe, expect, it, vi } from 'vitest'
import { SeamlineError, isSeamlineError } from './index.js'

const make = (cause?: unknown): SeamlineError =>
  new SeamlineError('SEAM_ERR_INVALID_ARGUMENT', {
    operation: 'POST',
    target: 'https://api.stripe.com/v1/refunds',
    reason: 'failed with 503 after 3 attempts',
    ...(cause === undefined ? {} : { cause }),
  })

describe('SeamlineError', () => {
  it('names the operation, the target and the reason in its message', () => {
    const error = make()
    expect(error.message).toBe(
      'POST https://api.stripe.com/v1/refunds failed with 503 after 3 attempts',
    )
    expect(error.name).toBe('SeamlineError')
    expect(error.code).toBe('SEAM_ERR_INVALID_ARGUMENT')
    expect(error.operation).toBe('POST')
    expect(error.target).toBe('https://api.stripe.com/v1/refunds')
    expect(error).toBeInstanceOf(Error)
    expect(error.stack).toContain('SeamlineError')
  })

  it('keeps the cause, and has no cause property when none was given', () => {
    const cause = new Error('socket hang up')
    expect(make(cause).cause).toBe(cause)
    expect('cause' in make()).toBe(false)
  })

  it('serialises to JSON with its code and without the stack', () => {
    expect(JSON.parse(JSON.stringify(make()))).toEqual({
      name: 'SeamlineError',
      code: 'SEAM_ERR_INVALID_ARGUMENT',
      message: 'POST https://api.stripe.com/v1/refunds failed with 503 after 3 attempts',
      operation: 'POST',
      target: 'https://api.stripe.com/v1/refunds',
    })
  })

  it('is told apart from other errors and look-alikes', () => {
    expect(isSeamlineError(make())).toBe(true)
    expect(isSeamlineError(new Error('x'))).toBe(false)
    expect(isSeamlineError({ name: 'SeamlineError', code: 'SEAM_ERR_INVALID_ARGUMENT' })).toBe(
      false,
    )
    expect(isSeamlineError(null)).toBe(false)
    expect(isSeamlineError('SeamlineError')).toBe(false)
    expect({} instanceof SeamlineError).toBe(false)
  })

  it('keeps instanceof specific for subclasses', () => {
    class PermanentError extends SeamlineError {
      override readonly name = 'PermanentError'
    }
    const permanent = new PermanentError('SEAM_ERR_INVALID_ARGUMENT', {
      operation: 'job',
      target: 'sync-customer',
      reason: 'gave up',
    })
    expect(permanent).toBeInstanceOf(SeamlineError)
    expect(permanent).toBeInstanceOf(PermanentError)
    expect(make()).not.toBeInstanceOf(PermanentError)
  })

  it('is recognised by a second copy of the module', async () => {
    vi.resetModules()
    const other = await import('./seamline-error.js')
    expect(other.SeamlineError).not.toBe(SeamlineError)
    expect(other.isSeamlineError(make())).toBe(true)
    expect(make()).toBeInstanceOf(other.SeamlineError)
  })
})
