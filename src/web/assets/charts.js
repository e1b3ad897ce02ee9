/**
 * Charts (uPlot, served from node_modules): the score distribution before/after a grid change and
 * a contact's score over time. Each chart carries a text summary for screen readers.
 */

import htm from 'htm'
import { h } from 'preact'
import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'

const html = htm.bind(h)

export function usePlot(makeOptions, data, deps) {
  const box = useRef(null)
  useEffect(() => {
    const el = box.current
    if (!el) return undefined
    const width = Math.max(280, Math.min(el.clientWidth || 600, 900))
    const plot = new uPlot(makeOptions(width), data, el)
    return () => plot.destroy()
  }, deps)
  return box
}

/** Histogram: counts per score bucket for the published grid and the draft, side by side. */
export function DistributionChart({ distribution, t }) {
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
        {
          label: t('Published'),
          stroke: '#52606d',
          fill: 'rgba(82,96,109,0.35)',
          paths: uPlot.paths.bars({ size: [0.45], align: -1 }),
          points: { show: false },
        },
        {
          label: t('Draft'),
          stroke: '#0b6e4f',
          fill: 'rgba(11,110,79,0.45)',
          paths: uPlot.paths.bars({ size: [0.45], align: 1 }),
          points: { show: false },
        },
      ],
    }),
    [x, before.length ? before : x.map(() => 0), after],
    [distribution, t.lang],
  )
  const peak = (counts) => buckets[counts.indexOf(Math.max(...counts))]
  const summary = `${t('Score distribution')}: ${t('Published')} ${peak(before) ?? '—'}, ${t('Draft')} ${peak(after) ?? '—'}`
  return html`<figure class="chart" aria-label=${summary} role="img"><div ref=${box}></div></figure>`
}

/** A contact's score over time, from its score history. */
export function HistoryChart({ history, t }) {
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
  return html`<figure class="chart" aria-label=${summary} role="img"><div ref=${box}></div></figure>`
}
