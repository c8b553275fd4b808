import type { Simulator } from './simulator.js'

export interface Reply {
  status: number
  headers: Headers
  body: Record<string, unknown> & { error?: { type: string; message: string; code?: string } }
}

/** A small fetch wrapper for the simulator's own tests: form bodies, bearer key, parsed JSON. */
export async function call(
  sim: Simulator,
  method: string,
  path: string,
  options: {
    form?: Record<string, string>
    key?: string | null
    headers?: Record<string, string>
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers }
  const key = options.key === undefined ? sim.credentials.apiKey : options.key
  if (key !== null) headers.authorization = `Bearer ${key}`
  let body: string | undefined
  if (options.form) {
    body = new URLSearchParams(options.form).toString()
    headers['content-type'] = 'application/x-www-form-urlencoded'
  }
  const response = await fetch(sim.url + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  })
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Reply['body'],
  }
}
