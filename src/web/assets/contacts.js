/**
 * The contact view for sales: search by email or name, then one contact's score, band, grade, MQL
 * since, reasons, the contributions table, a chart of its score over time and its event timeline.
 */
import { useState } from 'preact/hooks'
import { HistoryChart } from './charts.js'
import { api } from './lib/api.js'
import { html } from './lib/html.js'
import { useT } from './lib/page-context.js'
import { useApi } from './lib/use-api.js'

/**
 * @typedef {{ id: string, name?: string | null, email?: string | null, score: number | null,
 *   band?: string | null, mql: boolean }} ContactHit
 */

/** @param {{ initialQuery?: string }} props */
export function ContactSearch({ initialQuery = '' }) {
  const t = useT()
  const [q, setQ] = useState(initialQuery)
  const { data, error } = useApi(
    async () =>
      /** @type {ContactHit[]} */ ((await api.get(`/contacts?q=${encodeURIComponent(q)}`)).contacts),
    [q],
    { delay: 200 },
  )
  return html`<div class="contacts">
    <form role="search" onSubmit=${(e) => e.preventDefault()}>
      <label for="contact-search">${t('Search by email or name')}</label>
      <input id="contact-search" type="search" value=${q} onInput=${(e) => setQ(e.currentTarget.value)} autocomplete="off" />
    </form>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      data === null
        ? html`<p>${t('Loading…')}</p>`
        : data.length === 0
          ? html`<p>${t('No contact found.')}</p>`
          : html`<div class="table-wrap"><table>
            <thead><tr><th scope="col">${t('Contact')}</th><th scope="col">${t('Score')}</th><th scope="col">${t('Band')}</th><th scope="col">${t('MQL')}</th></tr></thead>
            <tbody>${data.map(
              (c) => html`<tr>
                <td><a href=${`#/contacts/${c.id}`}>${c.name || c.email || c.id}</a>${c.name && c.email ? html`<br /><small>${c.email}</small>` : null}</td>
                <td class="num">${t.number(c.score)}</td>
                <td>${c.band ? html`<span class=${`band band-${c.band}`}>${t(c.band)}</span>` : '—'}</td>
                <td>${c.mql ? t('yes') : t('no')}</td>
              </tr>`,
            )}</tbody></table></div>`
    }
  </div>`
}

/** @param {Record<string, unknown> | null | undefined} a */
const attributeText = (a) =>
  Object.entries(a ?? {})
    .filter(([k]) => k !== 'sessionId')
    .map(([k, v]) => `${k}: ${v}`)
    .join(' · ')

/** Score, band, grade, MQL since, fit / engagement, reasons and the contributions table. */
function ScoreSummary(/** @type {{ score: any }} */ { score }) {
  const t = useT()
  return html`<div class="stats">
      <div class="stat"><span class="stat-value" id="contact-score">${t.number(score.score)}</span><span class="stat-label">${t('Score')}</span></div>
      <div class="stat"><span class="stat-value"><span class=${`band band-${score.band}`}>${t(score.band)}</span></span><span class="stat-label">${t('Band')}</span></div>
      <div class="stat"><span class="stat-value">${score.grade}</span><span class="stat-label">${t('Grade')}</span></div>
      <div class="stat"><span class="stat-value">${score.mql ? t.date(score.mqlSince) : t('not MQL')}</span><span class="stat-label">${t('MQL since')}</span></div>
      <div class="stat"><span class="stat-value">${t.number(score.fit)} / ${t.number(score.engagement)}</span><span class="stat-label">${t('Fit')} / ${t('Engagement')}</span></div>
    </div>
    <p class="reasons"><strong>${t('Reasons')}:</strong> ${score.reasons || '—'}</p>
    <h3>${t('Contributions')}</h3>
    <div class="table-wrap"><table class="contributions">
      <thead><tr><th scope="col">${t('Rule')}</th><th scope="col">${t('Points')}</th><th scope="col">${t('Evidence')}</th></tr></thead>
      <tbody>${(score.contributions ?? []).map(
        (c) =>
          html`<tr><td>${c.label}</td><td class="num">${t.signed(c.points)}</td><td>${[c.count !== undefined ? `×${t.number(c.count)}` : '', (c.evidence ?? []).join(', ')].filter(Boolean).join(' · ')}</td></tr>`,
      )}</tbody></table></div>`
}

/** @param {{ id: string, refreshKey: number }} props */
export function ContactView({ id, refreshKey }) {
  const t = useT()
  const { data, error } = useApi(() => api.get(`/contacts/${encodeURIComponent(id)}`), [id, refreshKey])
  if (error) return html`<p class="error" role="alert">${error}</p>`
  if (!data) return html`<p>${t('Loading…')}</p>`
  const { contact, score, history, events } = data
  return html`<article class="contact" aria-labelledby="contact-h">
    <p><a href="#/contacts">${t('Back to the search')}</a></p>
    <h2 id="contact-h">${contact.name || contact.email}</h2>
    ${contact.name && contact.email ? html`<p class="muted">${contact.email}</p>` : null}
    ${score ? html`<${ScoreSummary} score=${score} />` : html`<p>${t('Not scored yet.')}</p>`}
    <h3>${t('Score over time')}</h3>
    ${history.length > 0 ? html`<${HistoryChart} history=${history} />` : html`<p>—</p>`}
    <h3>${t('Event timeline')}</h3>
    ${
      events.length
        ? html`<ol class="timeline">${events.map(
            (e) =>
              html`<li><time datetime=${e.at}>${t.date(e.at)}</time> <code>${e.type}</code> <span class="muted">${attributeText(e.attributes)}</span></li>`,
          )}</ol>`
        : html`<p>${t('No event in the lookback.')}</p>`
    }
  </article>`
}
