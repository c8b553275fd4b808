/** Markup that is already safe: interpolated as is by `html`. */
export class Safe {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

export const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => entities[c] ?? c)

export const raw = (markup: string): Safe => new Safe(markup)

type Value = Safe | string | number | null | undefined | false | readonly Value[]

const render = (value: Value): string => {
  if (value === null || value === undefined || value === false) return ''
  if (value instanceof Safe) return value.value
  if (Array.isArray(value)) return (value as readonly Value[]).map(render).join('')
  return escape(String(value))
}

/**
 * A template whose every interpolation is escaped, unless it is `Safe` (another `html` result
 * or `raw`), so no stored value (an event id, an error message) can become markup.
 */
export function html(strings: TemplateStringsArray, ...values: Value[]): Safe {
  let out = strings[0] ?? ''
  values.forEach((value, i) => (out += render(value) + (strings[i + 1] ?? '')))
  return new Safe(out)
}

/** JSON for a `<script type="application/json">` block: `<` escaped, so it cannot end the block. */
export const jsonScript = (id: string, data: unknown): Safe =>
  html`<script type="application/json" id="${id}">
    ${raw(JSON.stringify(data).replace(/</g, '\\u003c'))}
  </script>`
