/**
 * Charts (uPlot, served from node_modules): the score distribution before/after a grid change and
 * a contact's score over time. Each chart carries a text summary for screen readers.
 */
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import { html } from './lib/html.js'
import { useT } from './lib/page-context.js'

/**
 * A uPlot chart drawn into the returned box, redrawn when `deps` change.
 * @param {(width: number) => uPlot.Options} makeOptions
 * @param {uPlot.AlignedData} data
 * @param {unknown[]} deps
 */
export function usePlot(makeOptions, data, deps) {
  const box = useRef(/** @type {HTMLDivElement | null} */ (null))
  useEffect(() => {
    const el = box.current
    if (!el) return undefined
    const width = Math.max(280, Math.min(el.clientWidth || 600, 900))
    const plot = new uPlot(makeOptions(width), data, el)
    return () => plot.destroy()
  }, deps)
  return box
}

const barPaths = /** @type {NonNullable<typeof uPlot.paths.bars>} */ (uPlot.paths.bars)

/**
 * One bar series; two series side by side take align -1 and 1.
 * @param {string} label
 * @param {string} stroke
 * @param {string} fill
 * @param {-1 | 0 | 1} align
 * @returns {uPlot.Series}
 */
export function bars(label, stroke, fill, align) {
  return { label, stroke, fill, paths: barPaths({ size: [0.45], align }), points: { show: false } }
}

/** The figure around a chart's box: its summary is what a screen reader says. */
export function Figure(
  /** @type {{ summary: string, box: import('preact').Ref<HTMLDivElement> }} */ { summary, box },
) {
  return html`<figure class="chart" aria-label=${summary} role="img"><div ref=${box}></div></figure>`
}

/**
 * Histogram: counts per score bucket for the published grid and the draft, side by side.
 * @param {{ distribution: { buckets: number[], before: number[], after: number[], bucketWidth: number } }} props
 */
export function DistributionChart({ distribution }) {
  const t = useT()
  const { buckets, before, after, bucketWidth } = distribution
  const x = buckets.map((b) => b + bucketWidth / 2)
  const box = usePlot(
    (width) => ({
      width,
      height: 240,
      legend: { show: false },
      scales: { x: { time: false } },
      axes: [{ label: t('Score') }, { label: t('Contacts') }],
      series: [
        {},
        bars(t('Published'), '#52606d', 'rgba(82,96,109,0.35)', -1),
        bars(t('Draft'), '#0b6e4f', 'rgba(11,110,79,0.45)', 1),
      ],
    }),
    [x, before.length ? before : x.map(() => 0), after],
    [distribution, t.lang],
  )
  const peak = (/** @type {number[]} */ counts) => buckets[counts.indexOf(Math.max(...counts))]
  const summary = `${t('Score distribution')}: ${t('Published')} ${peak(before) ?? '—'}, ${t('Draft')} ${peak(after) ?? '—'}`
  return html`<${Figure} summary=${summary} box=${box} />`
}

/**
 * A contact's score over time, from its score history.
 * @param {{ history: { at: string, score: number }[] }} props
 */
export function HistoryChart({ history }) {
  const t = useT()
  const xs = history.map((p) => Date.parse(p.at) / 1000)
  const ys = history.map((p) => p.score)
  const box = usePlot(
    (width) => ({
      width,
      height: 200,
      legend: { show: false },
      axes: [{}, { label: t('Score') }],
      series: [{}, { label: t('Score'), stroke: '#0b6e4f', width: 2, fill: 'rgba(11,110,79,0.1)' }],
    }),
    [xs, ys],
    [history, t.lang],
  )
  const last = history[history.length - 1]
  const summary = `${t('Score over time')}: ${history.map((p) => p.score).join(', ')}${last ? ` (${t.date(last.at)})` : ''}`
  return html`<${Figure} summary=${summary} box=${box} />`
}
