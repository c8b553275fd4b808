/** A value for a query string or form: nested objects and arrays use bracket notation (Stripe's). */
export type FormInput =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly FormInput[]
  | { readonly [key: string]: FormInput }

function flatten(prefix: string, value: FormInput, out: [string, string][]): void {
  if (value === undefined || value === null) return
  if (Array.isArray(value)) {
    value.forEach((item: FormInput, i) => flatten(`${prefix}[${i}]`, item, out))
  } else if (typeof value === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, FormInput>))
      flatten(prefix ? `${prefix}[${key}]` : key, item, out)
  } else {
    out.push([prefix, String(value)])
  }
}

/** `{ amount: 5, metadata: { order: 'a' } }` → `amount=5&metadata%5Border%5D=a`. */
export function encodeForm(input: { readonly [key: string]: FormInput }): string {
  const pairs: [string, string][] = []
  flatten('', input, pairs)
  return new URLSearchParams(pairs).toString()
}
