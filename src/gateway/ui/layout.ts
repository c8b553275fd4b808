import { html, type Safe } from '../html.js'

export const sections = [
  ['/ui', 'Overview'],
  ['/ui/events', 'Events'],
  ['/ui/dead-letters', 'Dead letters'],
  ['/ui/rate-limits', 'Rate limits'],
  ['/ui/connections', 'Connections'],
  ['/ui/reconciliation', 'Reconciliation'],
] as const

/** A whole page: the navigation, then `body`. Scripts and styles come from `/ui/assets`. */
export function page(title: string, path: string, body: Safe): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Seamline</title>
        <link rel="stylesheet" href="/ui/assets/uPlot.min.css" />
        <link rel="stylesheet" href="/ui/assets/dashboard.css" />
        <script src="/ui/assets/htmx.min.js" defer></script>
        <script src="/ui/assets/uPlot.iife.min.js" defer></script>
        <script src="/ui/assets/dashboard.js" defer></script>
      </head>
      <body>
        <header>
          <strong>Seamline</strong>
          <nav>
            ${sections.map(
              ([href, label]) =>
                html`<a href="${href}" ${href === path ? html` aria-current="page"` : ''}
                  >${label}</a
                >`,
            )}
          </nav>
          <button type="button" hx-post="/ui/logout">Log out</button>
        </header>
        <main>
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html>`.value
}

/** A page of its own, without navigation, for the login form. */
const loginProblems = {
  fresh: '',
  failed: "That token is not this gateway's admin token.",
  throttled: 'Too many wrong tokens from your address: wait a minute, then try again.',
}

export function loginPage(state: keyof typeof loginProblems): string {
  const problem = loginProblems[state]
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Log in · Seamline</title>
        <link rel="stylesheet" href="/ui/assets/dashboard.css" />
      </head>
      <body class="login">
        <main>
          <h1>Seamline</h1>
          <form method="post" action="/ui/login">
            <label for="token">Admin token</label>
            <input
              id="token"
              name="token"
              type="password"
              autocomplete="current-password"
              required
              autofocus
            />
            ${problem ? html`<p class="error" role="alert">${problem}</p>` : ''}
            <button type="submit">Log in</button>
          </form>
        </main>
      </body>
    </html>`.value
}

export const time = (ms: number | null | undefined): Safe =>
  ms === null || ms === undefined
    ? html`<span class="muted">—</span>`
    : html`<time datetime="${new Date(ms).toISOString()}"
        >${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)}</time
      >`
