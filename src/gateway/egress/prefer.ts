const isRespondAsync = (preference: string): boolean =>
  preference.split(';')[0]?.trim().toLowerCase() === 'respond-async'

/** True when the `Prefer` header (RFC 7240) asks for `respond-async`, among other preferences. */
export function prefersRespondAsync(prefer: string | string[] | undefined): boolean {
  const values = Array.isArray(prefer) ? prefer : prefer === undefined ? [] : [prefer]
  return values.flatMap((value) => value.split(',')).some(isRespondAsync)
}

/** The `Prefer` header without `respond-async`: the provider is asked the app's other preferences. */
export function withoutRespondAsync(prefer: string): string | undefined {
  const kept = prefer
    .split(',')
    .filter((preference) => !isRespondAsync(preference))
    .map((preference) => preference.trim())
  return kept.length > 0 ? kept.join(', ') : undefined
}
