import { json, type SimResponse } from '../../http.js'

// Stripe's error envelope: { error: { type, code?, param?, message } }.
export const stripeError = (
  status: number,
  type: string,
  message: string,
  extra: { code?: string; param?: string } = {},
  headers?: Record<string, string>,
): SimResponse => json(status, { error: { type, ...extra, message } }, headers)

export const missingParam = (param: string): SimResponse =>
  stripeError(400, 'invalid_request_error', `Missing required param: ${param}.`, {
    code: 'parameter_missing',
    param,
  })

export const invalidParam = (param: string, message: string): SimResponse =>
  stripeError(400, 'invalid_request_error', message, { code: 'parameter_invalid', param })

export const noSuch = (kind: string, id: string, param = 'id'): SimResponse =>
  stripeError(404, 'invalid_request_error', `No such ${kind}: '${id}'`, {
    code: 'resource_missing',
    param,
  })
