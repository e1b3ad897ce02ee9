/**
 * Preview and publish: the draft scored on every contact beside the published grid (distribution,
 * band changes, MQL gained/lost, biggest movers with reasons), then publish with a progress bar
 * counting the contacts still waiting for their new score.
 */
import { useState } from 'preact/hooks'
import { DistributionChart } from './charts.js'
import { api } from './lib/api.js'
import { html } from './lib/html.js'
import { usePage, useT } from './lib/page-context.js'
import { useApi } from './lib/use-api.js'
import { PublishProgress } from './publish-progress.js'

/** @typedef {import('./lib/types.js').GridDefinition} GridDefinition */
/** @typedef {import('./lib/types.js').Issue} Issue */
/** @typedef {import('./lib/types.js').PublishResult} PublishResult */

/** @param {{ label: string, value: string, id?: string }} props */
function Stat({ label, value, id }) {
  return html`<div class="stat" id=${id}><span class="stat-value">${value}</span><span class="stat-label">${label}</span></div>`
}

/** @param {{ movers: any[] }} props */
function Movers({ movers }) {
  const t = useT()
  if (!movers.length) return html`<p>${t('No contact changes score.')}</p>`
  return html`<div class="table-wrap"><table class="movers">
    <thead><tr><th scope="col">${t('Contact')}</th><th scope="col">${t('Before')}</th><th scope="col">${t('After')}</th><th scope="col">${t('Why (with the draft)')}</th></tr></thead>
    <tbody>${movers.map(
      (m) => html`<tr>
        <td><a href=${`#/contacts/${m.contactId}`}>${m.name || m.email || m.contactId}</a></td>
        <td>${t.number(m.before)} <span class=${`band band-${m.bandBefore}`}>${t(m.bandBefore)}</span></td>
        <td>${t.number(m.after)} <span class=${`band band-${m.bandAfter}`}>${t(m.bandAfter)}</span></td>
        <td class="reasons">${m.reasonsAfter}</td>
      </tr>`,
    )}</tbody></table></div>`
}

/** @param {{ preview: any }} props */
function PreviewResult({ preview }) {
  const t = useT()
  const bandChanges = Object.entries(preview.bandChanges)
  return html`<section aria-labelledby="preview-h" class="preview-result">
    <h3 id="preview-h">${t('Preview on every contact')}</h3>
    <div class="stats">
      <${Stat} label=${t('Contacts scored')} value=${t.number(preview.contacts)} />
      <${Stat} label=${t('Score changes')} value=${t.number(preview.changedScore)} id="stat-changed" />
      <${Stat} label=${t('Band changes')} value=${t.number(preview.changedBand)} />
      <${Stat} label=${t('Become MQL')} value=${`+${t.number(preview.newlyMql)}`} id="stat-mql-gained" />
      <${Stat} label=${t('No longer MQL')} value=${`\u2212${t.number(preview.noLongerMql)}`} />
    </div>
    ${
      bandChanges.length
        ? html`<ul class="band-changes">${bandChanges.map(([k, n]) => {
            const [from, to] = k.split('→')
            return html`<li>${t(from ?? '')} → ${t(to ?? '')} : ${t.number(n)}</li>`
          })}</ul>`
        : null
    }
    <h4>${t('Score distribution')}</h4>
    <p class="legend"><span class="swatch published"></span>${t('Published')} <span class="swatch draft"></span>${t('Draft')}</p>
    <${DistributionChart} distribution=${preview.distribution} />
    <h4>${t('Biggest movers')}</h4>
    <${Movers} movers=${preview.movers} />
    <p class="muted">${t('Computed in {ms} ms', { ms: t.number(preview.ms) })}</p>
  </section>`
}

/** What a publish answered: sent for approval, or published with its changes and the progress bar. */
function PublishOutcome(/** @type {{ published: PublishResult | null }} */ { published }) {
  const t = useT()
  if (published?.approvalRequired)
    return html`<div class="published" role="status">
      <p><strong>${t('Sent for approval: another admin approves it under Versions & audit before it is published.')}</strong></p>
      <ul class="changes">${(published.request?.changes ?? []).map((c) => html`<li>${c}</li>`)}</ul>
    </div>`
  if (!published) return null
  return html`<div class="published" role="status">
    <p><strong>${t('Published version {v}', { v: published.grid.version })}</strong></p>
    <ul class="changes">${published.changes.map((c) => html`<li>${c}</li>`)}</ul>
    <${PublishProgress} key=${published.grid.id} />
  </div>`
}

/**
 * @param {{ draft: GridDefinition, issues: Issue[], publishedDefinition: GridDefinition | undefined,
 *   onPublished: () => void }} props
 */
export function PreviewPanel({ draft, issues, onPublished, publishedDefinition }) {
  const { t, admin } = usePage()
  const { error, busy, act } = useApi(null)
  const [preview, setPreview] = useState(null)
  const [note, setNote] = useState('')
  const [published, setPublished] = useState(/** @type {PublishResult | null} */ (null))
  const unchanged = JSON.stringify(draft) === JSON.stringify(publishedDefinition)

  const run = () =>
    act(async () => setPreview(await api.post('/grids/preview', { definition: draft })), 'preview')
  const publish = () =>
    act(async () => {
      /** @type {PublishResult} */
      const res = await api.post('/grids/publish', { definition: draft, note: note || undefined })
      setPublished(res)
      setNote('')
      // Two-person rule: nothing is published until another admin approves (Versions tab).
      if (!res.approvalRequired) onPublished()
    }, 'publish')

  return html`<div class="preview">
    ${issues.length ? html`<p class="error" role="alert">${t('Fix the grid first: {n} problems.', { n: issues.length })}</p>` : null}
    ${unchanged && !published ? html`<p class="notice">${t('Nothing changed: the draft is the published grid.')}</p>` : null}
    <button type="button" class="primary" disabled=${issues.length > 0 || busy !== ''} onClick=${run}>
      ${busy === 'preview' ? t('Previewing…') : t('Preview on every contact')}</button>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${preview ? html`<${PreviewResult} preview=${preview} />` : null}
    <section aria-labelledby="publish-h" class="publish">
      <h3 id="publish-h">${t('Publish')}</h3>
      ${
        admin
          ? html`<div class="field"><label for="publish-note">${t('Note for the audit log (optional)')}</label>
            <input id="publish-note" type="text" maxlength="1000" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} /></div>
            <button type="button" class="primary" disabled=${issues.length > 0 || busy !== '' || unchanged} onClick=${publish}>
              ${busy === 'publish' ? t('Publishing…') : t('Publish')}</button>`
          : html`<p class="notice">${t('Only admins can publish.')}</p>`
      }
      <${PublishOutcome} published=${published} />
    </section>
  </div>`
}
