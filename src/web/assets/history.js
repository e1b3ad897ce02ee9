/**
 * Versions and audit log: every grid version (roll back to any earlier one in one click — a copy of
 * it is published as a new version) and who changed what and when, as a readable rule diff. Also the
 * optional two-person rule: its switch (admins) and the publishes awaiting a second admin.
 */
import { useEffect, useState } from 'preact/hooks'
import { api } from './api.js'
import { html } from './fields.js'
import { PublishProgress } from './preview.js'

/** The two-person rule: the switch for admins, and the requests awaiting a second admin. */
function Approvals({ role, actor, settings, requests, t, onChanged, setError }) {
  const [on, setOn] = useState(settings?.publishApproval === true)
  const admin = role === 'admin'
  const toggle = async (value) => {
    // Shown at once: a re-render while the request runs must not flip the box back (it did, and a
    // click then looked ignored). The server's answer settles it; a refusal puts it back.
    setOn(value)
    setError('')
    try {
      const res = await api.put('/settings', { publishApproval: value })
      setOn(res.settings.publishApproval)
      await onChanged()
    } catch (err) {
      setOn(!value)
      setError(err.message)
    }
  }
  const decide = async (r, how) => {
    setError('')
    try {
      const res = await api.post(`/publish-requests/${r.id}/${how}`)
      await onChanged(how === 'approve' ? res : null)
    } catch (err) {
      setError(err.message)
    }
  }
  return html`<section aria-labelledby="approvals-h">
    <h3 id="approvals-h">${t('Approval')}</h3>
    <p><label><input type="checkbox" checked=${on} disabled=${!admin} onChange=${(e) => toggle(e.currentTarget.checked)} />
      ${' '}${t('Two-person rule: a publish needs a second admin’s approval')}</label></p>
    ${
      requests.length === 0
        ? on
          ? html`<p class="muted">${t('No publish awaits approval.')}</p>`
          : null
        : html`<ul class="audit">${requests.map(
            (r) => html`<li class="request-entry">
              <p><time datetime=${r.requestedAt}>${t.date(r.requestedAt)}</time> · <strong>${r.requestedBy}</strong> · ${t('asks to publish')}</p>
              ${r.note ? html`<p class="muted">${r.note}</p>` : null}
              <ul class="changes">${r.changes.map((c) => html`<li>${c}</li>`)}</ul>
              ${
                admin
                  ? html`<p>${
                      r.requestedBy === actor
                        ? html`<span class="muted">${t('Another admin has to approve your request.')}</span> `
                        : html`<button type="button" class="primary" onClick=${() => decide(r, 'approve')}>${t('Approve and publish')}</button> `
                    }<button type="button" onClick=${() => decide(r, 'reject')}>${r.requestedBy === actor ? t('Withdraw') : t('Reject')}</button></p>`
                  : null
              }
            </li>`,
          )}</ul>`
    }
  </section>`
}

export function HistoryPanel({ role, actor, settings, t, onPublished, refreshKey }) {
  const [grids, setGrids] = useState(null)
  const [audit, setAudit] = useState(null)
  const [requests, setRequests] = useState([])
  const [error, setError] = useState('')
  const [rolled, setRolled] = useState(null)
  const load = async () => {
    try {
      const [g, a, r] = await Promise.all([
        api.get('/grids'),
        api.get('/audit'),
        api.get('/publish-requests'),
      ])
      setGrids(g.grids)
      setAudit(a.entries)
      setRequests(r.requests)
    } catch (err) {
      setError(err.message)
    }
  }
  useEffect(() => {
    load()
  }, [refreshKey])
  const rollBack = async (grid) => {
    setError('')
    try {
      const res = await api.post(`/grids/${grid.id}/rollback`)
      setRolled({ ...res, from: grid.version })
      onPublished(res.grid)
      await load()
    } catch (err) {
      setError(err.message)
    }
  }
  if (!grids) return html`<p>${t('Loading…')}</p>`
  return html`<div class="history">
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      rolled
        ? html`<div class="published" role="status"><p><strong>${t('Rolled back: version {v} is published.', { v: rolled.grid.version })}</strong></p>
          <ul class="changes">${rolled.changes.map((c) => html`<li>${c}</li>`)}</ul>
          <${PublishProgress} t=${t} key=${rolled.grid.id} /></div>`
        : null
    }
    <${Approvals} role=${role} actor=${actor} settings=${settings} requests=${requests} t=${t} setError=${setError}
      onChanged=${async (approved) => {
        if (approved) {
          setRolled(null)
          onPublished(approved.grid)
        }
        await load()
      }} />
    <section aria-labelledby="versions-h">
      <h3 id="versions-h">${t('Versions')}</h3>
      <div class="table-wrap"><table>
        <thead><tr><th scope="col">${t('Version')}</th><th scope="col">${t('Status')}</th><th scope="col">${t('Created')}</th><th scope="col">${t('Note')}</th><th scope="col"><span class="visually-hidden">${t('Roll back to version {v}', { v: '' })}</span></th></tr></thead>
        <tbody>${grids.map(
          (g) => html`<tr>
            <td>${g.version}</td>
            <td><span class=${`status status-${g.status}`}>${t(g.status)}</span></td>
            <td>${t.date(g.publishedAt ?? g.createdAt)}</td>
            <td>${g.note ?? ''}</td>
            <td>${
              g.status !== 'published' && role === 'admin'
                ? html`<button type="button" onClick=${() => rollBack(g)}>${t('Roll back to version {v}', { v: g.version })}</button>`
                : null
            }</td>
          </tr>`,
        )}</tbody>
      </table></div>
    </section>
    <section aria-labelledby="audit-h">
      <h3 id="audit-h">${t('Audit log')}</h3>
      <ol class="audit">${audit.map(
        (e) => html`<li class="audit-entry">
          <p><time datetime=${e.at}>${t.date(e.at)}</time> · <strong>${e.actor}</strong> · ${t(e.action)}
            ${e.details?.version ? html` · ${e.details.restoredVersion ? t('version {v}, restored from {r}', { v: e.details.version, r: e.details.restoredVersion }) : t('version {v}', { v: e.details.version })}` : null}</p>
          ${e.details?.note ? html`<p class="muted">${e.details.note}</p>` : null}
          ${
            Array.isArray(e.details?.changes) && e.details.changes.length
              ? html`<ul class="changes">${e.details.changes.map((c) => html`<li>${c}</li>`)}</ul>`
              : null
          }
        </li>`,
      )}</ol>
    </section>
  </div>`
}
