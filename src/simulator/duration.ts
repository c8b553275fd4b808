/** Formats milliseconds the way Go's time.Duration prints (`20ms`, `1.5s`, `6m0s`, `1h2m3s`), as OpenAI's reset headers do. */
export function goDuration(ms: number): string {
  if (ms <= 0) return '0s'
  if (ms < 1_000) return `${Math.ceil(ms)}ms`
  const hours = Math.floor(ms / 3_600_000)
  const minutes = Math.floor((ms % 3_600_000) / 60_000)
  const seconds = Number(((ms % 60_000) / 1_000).toFixed(3))
  return `${hours > 0 ? `${hours}h` : ''}${hours > 0 || minutes > 0 ? `${minutes}m` : ''}${seconds}s`
}
