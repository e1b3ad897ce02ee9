/**
 * Calibration charts (uPlot): conversion by score decile, and MQLs vs deals created per month.
 * Each figure carries a text summary for screen readers, like the other charts.
 */
import { bars, Figure, usePlot } from './charts.js'
import { html } from './lib/html.js'
import { useT } from './lib/page-context.js'

/** @type {[string, string][]} stroke and fill of the first and the second series */
const COLORS = [
  ['#52606d', 'rgba(82,96,109,0.35)'],
  ['#0b6e4f', 'rgba(11,110,79,0.45)'],
]

/**
 * Conversion rate (%) per score decile, best decile first; two series when comparing grids.
 * @param {{ series: { label: string, deciles: { conversionRate: number | null }[] }[] }} props
 */
export function DecileChart({ series }) {
  const t = useT()
  const n = Math.max(...series.map((s) => s.deciles.length), 1)
  const x = Array.from({ length: n }, (_, i) => i + 1)
  const ys = series.map((s) => x.map((d) => (s.deciles[d - 1]?.conversionRate ?? 0) * 100))
  const box = usePlot(
    (width) => ({
      width,
      height: 220,
      legend: { show: false },
      scales: { x: { time: false } },
      axes: [{ label: t('Score decile (1 = highest)') }, { label: t('Converted (%)') }],
      series: [
        {},
        ...series.map((s, i) => {
          const [stroke, fill] = COLORS[i] ?? COLORS[0]
          return bars(s.label, stroke, fill, series.length > 1 ? (i === 0 ? -1 : 1) : 0)
        }),
      ],
    }),
    [x, ...ys],
    [series, t.lang],
  )
  const summary = `${t('Conversion by score decile')}: ${series
    .map((s, i) => `${s.label} ${ys[i].map((v) => Math.round(v)).join(', ')} %`)
    .join('; ')}`
  return html`<${Figure} summary=${summary} box=${box} />`
}

/**
 * Contacts that became MQL vs deals created, per month.
 * @param {{ months: { month: string, mqls: number, dealsCreated: number }[] }} props
 */
export function MonthlyChart({ months }) {
  const t = useT()
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
      series: [{}, bars(t('MQLs'), ...COLORS[0], -1), bars(t('Deals created'), ...COLORS[1], 1)],
    }),
    [x, months.map((m) => m.mqls), months.map((m) => m.dealsCreated)],
    [months, t.lang],
  )
  const summary = `${t('Leads over threshold vs deals created')}: ${months
    .map((m) => `${m.month} ${m.mqls}/${m.dealsCreated}`)
    .join(', ')}`
  return html`<${Figure} summary=${summary} box=${box} />`
}
