/**
 * Calibration charts (uPlot): conversion by score decile, and MQLs vs deals created per month.
 * Each figure carries a text summary for screen readers, like the other charts.
 */
import htm from 'htm'
import { h } from 'preact'
import uPlot from 'uplot'
import { usePlot } from './charts.js'

const html = htm.bind(h)

function bars(label, stroke, fill, align) {
  return { label, stroke, fill, paths: uPlot.paths.bars({ size: [0.45], align }), points: { show: false } }
}

/** Conversion rate (%) per score decile, best decile first; two series when comparing grids. */
export function DecileChart({ series, t }) {
  const n = Math.max(...series.map((s) => s.deciles.length), 1)
  const x = Array.from({ length: n }, (_, i) => i + 1)
  const ys = series.map((s) => x.map((d) => (s.deciles[d - 1]?.conversionRate ?? 0) * 100))
  const colors = [
    ['#52606d', 'rgba(82,96,109,0.35)'],
    ['#0b6e4f', 'rgba(11,110,79,0.45)'],
  ]
  const box = usePlot(
    (width) => ({
      width,
      height: 220,
      legend: { show: false },
      scales: { x: { time: false } },
      axes: [{ label: t('Score decile (1 = highest)') }, { label: t('Converted (%)') }],
      series: [
        {},
        ...series.map((s, i) =>
          bars(s.label, colors[i][0], colors[i][1], series.length > 1 ? (i === 0 ? -1 : 1) : 0),
        ),
      ],
    }),
    [x, ...ys],
    [series, t.lang],
  )
  const summary = `${t('Conversion by score decile')}: ${series
    .map((s, i) => `${s.label} ${ys[i].map((v) => Math.round(v)).join(', ')} %`)
    .join('; ')}`
  return html`<figure class="chart" aria-label=${summary} role="img"><div ref=${box}></div></figure>`
}

/** Contacts that became MQL vs deals created, per month. */
export function MonthlyChart({ months, t }) {
  const x = months.map((_, i) => i + 1)
  const box = usePlot(
    (width) => ({
      width,
      height: 200,
      legend: { show: false },
      scales: { x: { time: false } },
      axes: [
        { label: t('Month'), values: (_u, ticks) => ticks.map((i) => months[i - 1]?.month ?? '') },
        { label: t('Contacts') },
      ],
      series: [
        {},
        bars(t('MQLs'), '#52606d', 'rgba(82,96,109,0.35)', -1),
        bars(t('Deals created'), '#0b6e4f', 'rgba(11,110,79,0.45)', 1),
      ],
    }),
    [x, months.map((m) => m.mqls), months.map((m) => m.dealsCreated)],
    [months, t.lang],
  )
  const summary = `${t('Leads over threshold vs deals created')}: ${months
    .map((m) => `${m.month} ${m.mqls}/${m.dealsCreated}`)
    .join(', ')}`
  return html`<figure class="chart" aria-label=${summary} role="img"><div ref=${box}></div></figure>`
}
