/**
 * The Calibration tab: the review reminder, the backtest of the published grid or the
 * draft against recorded outcomes (precision / recall at the MQL threshold, conversion by band and
 * decile, false positives and negatives with their reasons), the grid suggested from the outcomes
 * (each change in words, held-out comparison, "load as draft"), the challenger beside the champion
 * ("promote"), and the funnel KPIs per grid version.
 */
import { useState } from 'preact/hooks'
import { DecileChart, MonthlyChart } from './calibration-charts.js'
import { api } from './lib/api.js'
import { html } from './lib/html.js'
import { usePage, useT } from './lib/page-context.js'
import { useApi } from './lib/use-api.js'

/** @typedef {import('./lib/i18n.js').Translator} Translator */
/** @typedef {import('./lib/types.js').GridDefinition} GridDefinition */

/** A rate as a percentage with one decimal, '—' when there is none. */
const pct = (/** @type {Translator} */ t, /** @type {number | null | undefined} */ x) =>
  x === null || x === undefined ? '—' : `${t.number(Math.round(x * 1000) / 10)} %`

/** The backtest's headline figures. */
function Figures(/** @type {{ b: any }} */ { b }) {
  const t = useT()
  return html`<dl class="figures">
    <div><dt>${t('Contacts with an outcome')}</dt><dd>${t.number(b.contacts)}</dd></div>
    <div><dt>${t('Converted')}</dt><dd>${t.number(b.converted)}</dd></div>
    <div><dt>${t('MQLs at the threshold ({n})', { n: b.threshold.mqlThreshold })}</dt><dd>${t.number(b.threshold.mqls)}</dd></div>
    <div><dt>${t('Precision')}</dt><dd>${pct(t, b.threshold.precision)}</dd></div>
    <div><dt>${t('Recall')}</dt><dd>${pct(t, b.threshold.recall)}</dd></div>
    <div><dt>ROC AUC</dt><dd>${b.rocAuc === null ? '—' : t.number(b.rocAuc)}</dd></div>
  </dl>`
}

/** @param {{ title: string, list: { total: number, items: any[] } }} props */
function Misses({ title, list }) {
  const t = useT()
  return html`<details>
    <summary>${title} (${t.number(list.total)})</summary>
    ${
      list.items.length
        ? html`<div class="table-wrap" tabindex="0"><table>
          <thead><tr><th scope="col">${t('Contact')}</th><th scope="col">${t('Score')}</th><th scope="col">${t('Why')}</th></tr></thead>
          <tbody>${list.items.slice(0, 10).map(
            (i) => html`<tr><td><a href=${`#/contacts/${i.contactId}`}>${i.email || i.contactId}</a></td>
              <td>${t.number(i.score)}</td><td class="reasons">${i.reasons || '—'}</td></tr>`,
          )}</tbody></table></div>`
        : null
    }
  </details>`
}

/** @param {{ draft: GridDefinition }} props */
function Backtest({ draft }) {
  const t = useT()
  const [which, setWhich] = useState('published')
  const { data: b, error } = useApi(
    () => api.post('/calibration/backtest', which === 'draft' ? { definition: draft } : {}),
    [which],
  )
  return html`<section aria-labelledby="bt-h" class="calibration-block">
    <h3 id="bt-h">${t('Backtest on recorded outcomes (last 12 months)')}</h3>
    <div class="field"><label for="bt-grid">${t('Grid')}</label>
      <select id="bt-grid" onChange=${(e) => setWhich(e.currentTarget.value)}>
        <option value="published" selected=${which === 'published'}>${t('Published grid')}</option>
        <option value="draft" selected=${which === 'draft'}>${t('Draft (not published)')}</option>
      </select></div>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      b
        ? b.contacts === 0
          ? html`<p class="notice" id="bt-empty">${t('No outcome recorded in the period yet: record outcomes (API, CSV import, CRM deals) to backtest.')}</p>`
          : html`<div id="bt-result">
          <${Figures} b=${b} />
          <h4>${t('Conversion by score decile')}</h4>
          <${DecileChart} series=${[{ label: t('Converted (%)'), deciles: b.byDecile }]} />
          <div class="table-wrap" tabindex="0"><table>
            <caption>${t('Conversion by band')}</caption>
            <thead><tr><th scope="col">${t('Band')}</th><th scope="col">${t('Contacts')}</th><th scope="col">${t('Converted')}</th><th scope="col">${t('Lift')}</th></tr></thead>
            <tbody>${b.byBand.map(
              (
                r,
              ) => html`<tr><td><span class=${`band band-${r.band}`}>${t(r.band)}</span></td><td>${t.number(r.contacts)}</td>
                <td>${pct(t, r.conversionRate)}</td><td>${r.lift === null ? '—' : `${t.number(Math.round(r.lift * 10) / 10)}×`}</td></tr>`,
            )}</tbody></table></div>
          <${Misses} title=${t('False positives (MQL, never converted)')} list=${b.falsePositives} />
          <${Misses} title=${t('False negatives (converted, never MQL)')} list=${b.falseNegatives} />
          <p class="muted">${t('Events as of each decision; profile properties are their current values.')}</p>
        </div>`
        : null
    }
  </section>`
}

/** @param {{ onLoadDraft: (definition: GridDefinition) => void }} props */
function Suggestion({ onLoadDraft }) {
  const t = useT()
  const [s, setS] = useState(/** @type {any} */ (null))
  const { error, busy, act } = useApi(null)
  const run = () => act(async () => setS(await api.post('/calibration/suggest')))
  return html`<section aria-labelledby="sg-h" class="calibration-block">
    <h3 id="sg-h">${t('Suggested grid')}</h3>
    <p>${t('Points learnt from your own outcomes (logistic regression), checked on a quarter of the contacts held out.')}</p>
    <button type="button" disabled=${busy !== ''} onClick=${run}>${busy ? t('Learning…') : t('Suggest from outcomes')}</button>
    ${error ? html`<p class="error" role="alert" id="sg-error">${error}</p>` : null}
    ${
      s
        ? html`<div id="sg-result">
          <div class="table-wrap" tabindex="0"><table>
            <caption>${t('Held-out contacts: current vs suggested')}</caption>
            <thead><tr><th scope="col"></th><th scope="col">${t('Current')}</th><th scope="col">${t('Suggested')}</th></tr></thead>
            <tbody>
              <tr><th scope="row">ROC AUC</th><td>${t.number(s.heldOut.current.rocAuc)}</td><td>${t.number(s.heldOut.suggested.rocAuc)}</td></tr>
              <tr><th scope="row">${t('Precision')}</th><td>${pct(t, s.heldOut.current.threshold.precision)}</td><td>${pct(t, s.heldOut.suggested.threshold.precision)}</td></tr>
              <tr><th scope="row">${t('Recall')}</th><td>${pct(t, s.heldOut.current.threshold.recall)}</td><td>${pct(t, s.heldOut.suggested.threshold.recall)}</td></tr>
            </tbody></table></div>
          <${DecileChart} series=${[
            { label: t('Current'), deciles: s.heldOut.current.byDecile },
            { label: t('Suggested'), deciles: s.heldOut.suggested.byDecile },
          ]} />
          <h4>${t('Changes')}</h4>
          <ul class="changes">${s.changes.map((c) => html`<li>${c.explanation}</li>`)}</ul>
          <button type="button" class="primary" onClick=${() => onLoadDraft(s.suggested)}>${t('Load as draft')}</button>
        </div>`
        : null
    }
  </section>`
}

/** @param {{ draft: GridDefinition, onPublished: () => void }} props */
function Challenger({ draft, onPublished }) {
  const { t, admin } = usePage()
  const { data: c, error, reload, act } = useApi(() => api.get('/calibration/challenger'))
  const [done, setDone] = useState('')
  /** @param {string} path @param {unknown} [body] */
  const perform = (path, body) =>
    act(async () => {
      const res = await api.post(path, body)
      if (res?.approvalRequired)
        setDone(
          t('Sent for approval: another admin approves it under Versions & audit before it is published.'),
        )
      else if (res?.grid) {
        setDone(t('Published version {v}', { v: res.grid.version }))
        onPublished()
      }
      await reload()
    })
  const row = (/** @type {string} */ label, /** @type {(b: any) => string} */ f) =>
    html`<tr><th scope="row">${label}</th><td>${f(c.backtest.champion)}</td><td>${f(c.backtest.challenger)}</td></tr>`
  return html`<section aria-labelledby="ch-h" class="calibration-block">
    <h3 id="ch-h">${t('Champion / challenger')}</h3>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${done ? html`<p class="published" role="status">${done}</p>` : null}
    ${
      c && !c.challenger
        ? html`<p>${t('No challenger. Try the draft in shadow: it is scored on live traffic, never written to the CRM.')}</p>
          ${admin ? html`<button type="button" onClick=${() => perform('/calibration/challenger', { definition: draft })}>${t('Try the draft as challenger')}</button>` : null}`
        : null
    }
    ${
      c?.challenger
        ? html`<div id="ch-result">
          <p>${t('Challenger version {v} since {d}', { v: c.challenger.version, d: t.date(c.challenger.startedAt) })}</p>
          <div class="table-wrap" tabindex="0"><table>
            <caption>${t('Same contacts, outcomes since the challenger started')}</caption>
            <thead><tr><th scope="col"></th><th scope="col">${t('Champion')}</th><th scope="col">${t('Challenger')}</th></tr></thead>
            <tbody>
              ${row(t('Contacts with an outcome'), (b) => t.number(b?.contacts))}
              ${row(t('Precision'), (b) => pct(t, b?.threshold.precision))}
              ${row(t('Recall'), (b) => pct(t, b?.threshold.recall))}
              ${row('ROC AUC', (b) => (b?.rocAuc == null ? '—' : t.number(b.rocAuc)))}
              <tr><th scope="row">${t('MQLs now (live)')}</th><td>${t.number(c.live.championMqls)}</td><td>${t.number(c.live.challengerMqls)}</td></tr>
            </tbody></table></div>
          ${
            admin
              ? html`<button type="button" class="primary" onClick=${() => perform('/calibration/challenger/promote')}>${t('Promote the challenger')}</button>
                <button type="button" onClick=${() => perform('/calibration/challenger/stop')}>${t('Stop the challenger')}</button>`
              : null
          }
        </div>`
        : null
    }
  </section>`
}

function Kpis() {
  const { t, admin } = usePage()
  const { data: k, error, reload, act } = useApi(() => api.get('/calibration/kpis'))
  const review = () =>
    act(async () => {
      await api.post('/calibration/review', {})
      await reload()
    })
  return html`<section aria-labelledby="kpi-h" class="calibration-block">
    <h3 id="kpi-h">${t('Funnel KPIs per grid version (last 12 months)')}</h3>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      k?.review?.due
        ? html`<div class="notice reminder" role="status" id="review-reminder">
          <p><strong>${t('The grid has not been reviewed for {d} days.', { d: k.review.daysSinceReview })}</strong>
            ${t('Check it against recent outcomes, then publish a new version or mark it reviewed.')}</p>
          ${admin ? html`<button type="button" onClick=${review}>${t('Mark reviewed')}</button>` : null}
        </div>`
        : k?.review
          ? html`<p class="muted">${t('Last reviewed {d}', { d: t.date(k.review.lastReviewedAt) })}</p>`
          : null
    }
    ${
      k
        ? html`<div class="table-wrap" tabindex="0"><table id="kpi-table">
          <thead><tr><th scope="col">${t('Version')}</th><th scope="col">MQL</th><th scope="col">SQL</th><th scope="col">${t('Customers')}</th>
            <th scope="col">MQL → SQL</th><th scope="col">SQL → ${t('customer')}</th><th scope="col">${t('Median time to first sales touch (h)')}</th>
            <th scope="col">${t('Median sales cycle (days)')}</th><th scope="col">${t('Deals created')}</th></tr></thead>
          <tbody>${k.versions.map(
            (
              v,
            ) => html`<tr><td>${v.version}</td><td>${t.number(v.mqls)}</td><td>${t.number(v.sqls)}</td><td>${t.number(v.customers)}</td>
              <td>${pct(t, v.mqlToSql)}</td><td>${pct(t, v.sqlToCustomer)}</td><td>${t.number(v.medianHoursToFirstTouch)}</td>
              <td>${t.number(v.medianSalesCycleDays)}</td><td>${t.number(v.dealsCreated)}</td></tr>`,
          )}</tbody></table></div>
          ${
            k.byMonth.length
              ? html`<h4>${t('Leads over threshold vs deals created')}</h4><${MonthlyChart} months=${k.byMonth} />`
              : null
          }
          <p class="muted">${t('First sales touch: a meeting booked or held, or the SQL outcome, whichever comes first after the MQL moment.')}</p>`
        : null
    }
  </section>`
}

/**
 * @param {{ draft: GridDefinition, onLoadDraft: (definition: GridDefinition) => void,
 *   onPublished: () => void }} props
 */
export function CalibrationPanel({ draft, onLoadDraft, onPublished }) {
  return html`<div class="calibration">
    <${Kpis} />
    <${Backtest} draft=${draft} />
    <${Suggestion} onLoadDraft=${onLoadDraft} />
    <${Challenger} draft=${draft} onPublished=${onPublished} />
  </div>`
}
