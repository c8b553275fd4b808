/** A parsed form value: bracket notation (Stripe's, and OAuth forms) nests (`metadata[a]=1`, `items[0][price]=p`). */
export type FormValue = string | FormValue[] | { [key: string]: FormValue }

function setPath(target: Record<string, FormValue>, keys: string[], value: string): void {
  let node: Record<string, FormValue> = target
  keys.forEach((key, i) => {
    const last = i === keys.length - 1
    // `expand[]=a&expand[]=b` appends; numeric and named keys index as given.
    const slot = key === '' ? String(Object.keys(node).length) : key
    if (last) {
      node[slot] = value
      return
    }
    const next = node[slot]
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[slot] = {}
    node = node[slot] as Record<string, FormValue>
  })
}

// Objects whose keys are exactly 0..n-1 were arrays in the form.
function arrays(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value
  const keys = Object.keys(value)
  const converted = Object.fromEntries(keys.map((k) => [k, arrays(value[k] as FormValue)]))
  const isList = keys.length > 0 && keys.every((k, i) => k === String(i))
  return isList ? keys.map((k) => converted[k] as FormValue) : converted
}

/** Parses an `application/x-www-form-urlencoded` body in Stripe's bracket notation. */
export function parseForm(body: string): Record<string, FormValue> {
  const root: Record<string, FormValue> = {}
  for (const [name, value] of new URLSearchParams(body)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(name)
    if (!match) continue
    const keys = [
      match[1] as string,
      ...[...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] as string),
    ]
    setPath(root, keys, value)
  }
  return arrays(root) as Record<string, FormValue>
}

/** Sorted-key JSON, so the same parameters in another order compare equal. */
export function canonical(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  return `{${Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(value[k] as FormValue)}`)
    .join(',')}}`
}
