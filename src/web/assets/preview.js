/**
 * Preview and publish: the draft scored on every contact beside the published grid (distribution,
 * band changes, MQL gained/lost, biggest movers with reasons), then publish with a progress bar
 * counting the contacts still waiting for their new score.
 */
import { useEffect, useState } from 'preact/hooks'
import { api } from './api.js'
import { DistributionChart } from './charts.js'
import { html } from './fields.js'

function Stat({ label, value, id }) {
  return html`<div class="stat" id=${id}><span class="stat-value">${value}</span><span class="stat-label">${label}</span></div>`
}

export function PublishProgress({ t, onDone }) {
  const [p, setP] = useState(null)
  useEffect(() => {
    let stop = false
    let timer
    const tick = async () => {
      try {
        const next = await api.get('/progress')
        if (stop) return
        setP(next)
        if (next.dirty > 0) timer = setTimeout(tick, 500)
        else onDone?.()
      } catch {
        // A failed poll is retried: the bar only shows progress, publishing already happened.
        if (!stop) timer = setTimeout(tick, 1000)
      }
    }
    tick()
    return () => {
      stop = true
      clearTimeout(timer)
    }
  }, [])
  if (!p) return null
  const done = p.total - p.dirty
  return html`<div class="progress-box">
    <label for="publish-progress">${p.dirty > 0 ? t('Rescoring: {done} of {total} contacts', { done: t.number(done), total: t.number(p.total) }) : t('Every contact is rescored.')}</label>
    <progress id="publish-progress" max=${p.total || 1} value=${done}></progress>
  </div>`
}

export function PreviewPanel({ draft, issues, role, t, onPublished, publishedDefinition }) {
  const [preview, setPreview] = useState(null)
  const [busy, setBusy] = useState('')
  const [error, setError] = useState('')
  const [note, setNote] = useState('')
  const [published, setPublished] = useState(null)
  const unchanged = JSON.stringify(draft) === JSON.stringify(publishedDefinition)

  const run = async () => {
    setBusy('preview')
    setError('')
    try {
      setPreview(await api.post('/grids/preview', { definition: draft }))
    } catch (err) {
      setError(err.message)
    } finally {
      setBusy('')
    }
  }
  const publish = async () => {
    setBusy('publish')
    setError('')
    try {
      const res = await api.post('/grids/publish', { definition: draft, note: note || undefined })
      setPublished(res)
      setNote('')
      // Two-person rule: nothing is published until another admin approves (Versions tab).
      if (!res.approvalRequired) onPublished(res.grid)
    } catch (err) {
      setError(err.message)
    } finally {
      setBusy('')
    }
  }

  return html`<div class="preview">
    ${issues.length ? html`<p class="error" role="alert">${t('Fix the grid first: {n} problems.', { n: issues.length })}</p>` : null}
    ${unchanged && !published ? html`<p class="notice">${t('Nothing changed: the draft is the published grid.')}</p>` : null}
    <button type="button" class="primary" disabled=${issues.length > 0 || busy !== ''} onClick=${run}>
      ${busy === 'preview' ? t('Previewing…') : t('Preview on every contact')}</button>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      preview
        ? html`<section aria-labelledby="preview-h" class="preview-result">
          <h3 id="preview-h">${t('Preview on every contact')}</h3>
          <div class="stats">
            <${Stat} label=${t('Contacts scored')} value=${t.number(preview.contacts)} />
            <${Stat} label=${t('Score changes')} value=${t.number(preview.changedScore)} id="stat-changed" />
            <${Stat} label=${t('Band changes')} value=${t.number(preview.changedBand)} />
            <${Stat} label=${t('Become MQL')} value=${`+${t.number(preview.newlyMql)}`} id="stat-mql-gained" />
            <${Stat} label=${t('No longer MQL')} value=${`\u2212${t.number(preview.noLongerMql)}`} />
          </div>
          ${
            Object.keys(preview.bandChanges).length
              ? html`<ul class="band-changes">${Object.entries(preview.bandChanges).map(([k, n]) => {
                  const [from, to] = k.split('→')
                  return html`<li>${t(from)} → ${t(to)} : ${t.number(n)}</li>`
                })}</ul>`
              : null
          }
          <h4>${t('Score distribution')}</h4>
          <p class="legend"><span class="swatch published"></span>${t('Published')} <span class="swatch draft"></span>${t('Draft')}</p>
          <${DistributionChart} distribution=${preview.distribution} t=${t} />
          <h4>${t('Biggest movers')}</h4>
          ${
            preview.movers.length
              ? html`<div class="table-wrap"><table class="movers">
                <thead><tr><th scope="col">${t('Contact')}</th><th scope="col">${t('Before')}</th><th scope="col">${t('After')}</th><th scope="col">${t('Why (with the draft)')}</th></tr></thead>
                <tbody>${preview.movers.map(
                  (m) => html`<tr>
                    <td><a href=${`#/contacts/${m.contactId}`}>${m.name || m.email || m.contactId}</a></td>
                    <td>${t.number(m.before)} <span class=${`band band-${m.bandBefore}`}>${t(m.bandBefore)}</span></td>
                    <td>${t.number(m.after)} <span class=${`band band-${m.bandAfter}`}>${t(m.bandAfter)}</span></td>
                    <td class="reasons">${m.reasonsAfter}</td>
                  </tr>`,
                )}</tbody></table></div>`
              : html`<p>${t('No contact changes score.')}</p>`
          }
          <p class="muted">${t('Computed in {ms} ms', { ms: t.number(preview.ms) })}</p>
        </section>`
        : null
    }
    <section aria-labelledby="publish-h" class="publish">
      <h3 id="publish-h">${t('Publish')}</h3>
      ${
        role === 'admin'
          ? html`<div class="field"><label for="publish-note">${t('Note for the audit log (optional)')}</label>
            <input id="publish-note" type="text" maxlength="1000" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} /></div>
            <button type="button" class="primary" disabled=${issues.length > 0 || busy !== '' || unchanged} onClick=${publish}>
              ${busy === 'publish' ? t('Publishing…') : t('Publish')}</button>`
          : html`<p class="notice">${t('Only admins can publish.')}</p>`
      }
      ${
        published?.approvalRequired
          ? html`<div class="published" role="status">
            <p><strong>${t('Sent for approval: another admin approves it under Versions & audit before it is published.')}</strong></p>
            <ul class="changes">${published.request.changes.map((c) => html`<li>${c}</li>`)}</ul>
          </div>`
          : published
            ? html`<div class="published" role="status">
            <p><strong>${t('Published version {v}', { v: published.grid.version })}</strong></p>
            <ul class="changes">${published.changes.map((c) => html`<li>${c}</li>`)}</ul>
            <${PublishProgress} t=${t} key=${published.grid.id} />
          </div>`
            : null
      }
    </section>
  </div>`
}
