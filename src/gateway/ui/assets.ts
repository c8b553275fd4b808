import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

// Served from node_modules as installed: no bundler, no copy to keep in step.
const vendored: Record<string, { module: string; type: string }> = {
  'htmx.min.js': { module: 'htmx.org/dist/htmx.min.js', type: 'text/javascript' },
  'uPlot.iife.min.js': { module: 'uplot/dist/uPlot.iife.min.js', type: 'text/javascript' },
  'uPlot.min.css': { module: 'uplot/dist/uPlot.min.css', type: 'text/css' },
}

const css = `
:root { font: 14px/1.45 system-ui, sans-serif; color: #111827; background: #f9fafb; }
body { margin: 0; }
header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.2rem; background: #111827; color: #f9fafb; }
header nav { display: flex; gap: 1rem; flex: 1; }
header a { color: #d1d5db; text-decoration: none; }
header a[aria-current] { color: #fff; border-bottom: 2px solid #60a5fa; }
main { padding: 1rem 1.2rem; max-width: 1200px; }
h1 { font-size: 1.3rem; margin: .2rem 0 1rem; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
th { font-weight: 600; color: #374151; }
code { font-size: .85em; }
button { font: inherit; padding: .25rem .7rem; border: 1px solid #2563eb; background: #2563eb; color: #fff; border-radius: 4px; cursor: pointer; }
button.secondary, header button { background: transparent; color: inherit; border-color: #9ca3af; }
.cards { display: flex; gap: .8rem; flex-wrap: wrap; margin-bottom: 1rem; }
.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: .6rem .9rem; min-width: 9rem; }
.card span { display: block; color: #6b7280; font-size: .85em; }
.card strong { font-size: 1.4rem; }
.card.bad strong { color: #b91c1c; }
#plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: .8rem; }
#plots figure { margin: 0; background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: .3rem; }
.badge { padding: .05rem .45rem; border-radius: 999px; font-size: .8em; background: #e5e7eb; }
.badge.ok { background: #dcfce7; color: #166534; }
.badge.wait { background: #dbeafe; color: #1e40af; }
.badge.warn { background: #fef3c7; color: #92400e; }
.badge.bad { background: #fee2e2; color: #991b1b; }
.muted { color: #6b7280; }
.error, .error-text { color: #b91c1c; }
.notice { background: #dbeafe; padding: .4rem .7rem; border-radius: 4px; }
.gauges { display: grid; gap: .6rem; max-width: 640px; }
.gauge { display: grid; grid-template-columns: 16rem 1fr 6rem 3rem; gap: .6rem; align-items: center; }
.gauge meter { width: 100%; }
body.login main { max-width: 22rem; margin: 12vh auto; }
body.login form { display: grid; gap: .6rem; }
body.login input { font: inherit; padding: .4rem; }
`

// Draws the overview's plots with uPlot and refreshes them from /ui/series.json.
const js = `(() => {
  const root = document.getElementById('plots')
  if (!root) return
  const charts = new Map()
  const width = () => Math.max(320, Math.min(root.clientWidth / 2 - 24, 560))
  async function refresh() {
    const response = await fetch('/ui/series.json', { credentials: 'same-origin' })
    if (!response.ok) return
    const s = await response.json()
    const panels = s.lines.concat([
      { key: 'dead-letters', label: 'dead letters', values: s.deadLetters },
      { key: 'ready', label: 'jobs ready', values: s.ready },
    ])
    for (const p of panels) {
      const data = [s.times, p.values]
      const chart = charts.get(p.key)
      if (chart) { chart.setData(data); continue }
      const figure = document.createElement('figure')
      figure.dataset.series = p.key
      root.appendChild(figure)
      charts.set(p.key, new uPlot({
        title: p.label, width: width(), height: 170,
        series: [{}, { label: p.label, stroke: '#2563eb', width: 1.5 }],
        // From zero, with headroom: a flat rate reads as a line, not as noise magnified.
        scales: { y: { range: (u, min, max) => [0, max > 0 ? max * 1.25 : 1] } },
        axes: [{}, { size: 56 }],
      }, data, figure))
    }
  }
  refresh()
  setInterval(refresh, 5000)
})()
`

const own: Record<string, { body: string; type: string }> = {
  'dashboard.css': { body: css, type: 'text/css' },
  'dashboard.js': { body: js, type: 'text/javascript' },
}

/** The asset's bytes and content type, or undefined for a name the dashboard does not serve. */
export async function asset(
  name: string,
): Promise<{ body: string | Buffer; type: string } | undefined> {
  if (Object.hasOwn(own, name)) return own[name]
  if (!Object.hasOwn(vendored, name)) return undefined
  const { module, type } = vendored[name] as { module: string; type: string }
  return { body: await readFile(require.resolve(module)), type }
}
