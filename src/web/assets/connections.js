/**
 * Connections and health: each CRM connection with the health fields recorded today, its backfill
 * progress, and (admins) a button sending parked write-backs back to the queue and one disconnecting
 * the connection (the CRM's own uninstall; Pipedrive's tokens revoked); "connect another
 * CRM" to attach a new HubSpot portal to this workspace; the website tracking snippet with a copy
 * button and when it was last heard from.
 */
import { useEffect, useState } from 'preact/hooks'
import { api } from './api.js'
import { html } from './fields.js'

/** The initial import: HubSpot gives no total, so a running backfill shows a moving bar and a count. */
function Backfill({ c, t }) {
  const b = c.backfill ?? {}
  if (!b.status) return html`—`
  const id = `backfill-${c.id}`
  const done = b.status === 'done'
  return html`<label for=${id}>${done ? t('Imported: {n} contacts', { n: t.number(b.processed ?? 0) }) : t('Importing: {n} contacts so far', { n: t.number(b.processed ?? 0) })}</label>
    ${done ? html`<progress id=${id} max="1" value="1"></progress>` : html`<progress id=${id}></progress>`}`
}

export function ConnectionsPanel({ t, role }) {
  const [data, setData] = useState(null)
  const [error, setError] = useState('')
  const [copied, setCopied] = useState(false)
  const [notice, setNotice] = useState('')
  const admin = role === 'admin'
  const load = () => api.get('/connections').then(setData, (err) => setError(err.message))
  useEffect(() => {
    load()
  }, [])
  const retry = async (c) => {
    try {
      const { retried } = await api.post(`/connections/${c.id}/retry-parked`)
      setNotice(t('{n} parked write-backs sent back to the queue.', { n: t.number(retried) }))
      await load()
    } catch (err) {
      setNotice(err.message)
    }
  }
  const disconnect = async (c) => {
    const name = c.provider === 'hubspot' ? 'HubSpot' : 'Pipedrive'
    if (
      !confirm(
        t('Disconnect {crm} account {account}? Scores stop being written there.', {
          crm: name,
          account: c.accountId,
        }),
      )
    )
      return
    try {
      await api.post(`/connections/${c.id}/disconnect`)
      setNotice(t('{crm} account {account} disconnected.', { crm: name, account: c.accountId }))
      await load()
    } catch (err) {
      setNotice(err.message)
    }
  }
  const connect = (provider) => async () => {
    try {
      const { url } = await api.post(`/connections/${provider}/install-link`)
      location.href = url
    } catch (err) {
      setNotice(err.message)
    }
  }
  if (error) return html`<p class="error" role="alert">${error}</p>`
  if (!data) return html`<p>${t('Loading…')}</p>`
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(data.tracking.snippet)
    } catch {
      // No clipboard permission (an iframe, an old browser): select the text for a manual copy.
      const box = document.getElementById('snippet')
      box?.focus()
      box?.select()
    }
    setCopied(true)
    setTimeout(() => setCopied(false), 2000)
  }
  return html`<div class="connections">
    <section aria-labelledby="crm-h">
      <h3 id="crm-h">${t('CRM connections')}</h3>
      ${
        data.connections.length === 0
          ? html`<p>${t('No CRM connected yet. Install Leadgrid from the HubSpot marketplace to connect a portal.')}</p>`
          : html`<div class="table-wrap"><table>
            <thead><tr>${['CRM', 'Account', 'Status', 'Token expires', 'Last webhook', 'Initial import', 'Write-back backlog', 'Parked', 'Last error', ...(admin ? ['Actions'] : [])].map((h) => html`<th scope="col">${t(h)}</th>`)}</tr></thead>
            <tbody>${data.connections.map(
              (c) => html`<tr>
                <td>${c.provider === 'hubspot' ? 'HubSpot' : 'Pipedrive'}</td><td>${c.accountId}</td>
                <td><span class=${`status status-${c.status}`}>${c.status}</span></td>
                <td>${t.date(c.tokenExpiresAt)}</td><td>${t.date(c.lastWebhookAt)}</td>
                <td><${Backfill} c=${c} t=${t} /></td>
                <td class="num">${t.number(c.pendingWrites)}</td>
                <td class="num">${t.number(c.parkedWrites)}
                  ${
                    admin && c.parkedWrites > 0
                      ? html` <button type="button" onClick=${() => retry(c)}
                    aria-label=${t('Retry the parked write-backs of {account}', { account: c.accountId })}>${t('Retry')}</button>`
                      : ''
                  }</td>
                <td>${c.lastError ? html`${c.lastError} <small>(${t.date(c.lastErrorAt)})</small>` : '—'}</td>
                ${
                  admin
                    ? html`<td>${
                        c.status === 'uninstalled'
                          ? '—'
                          : html`<button type="button" onClick=${() => disconnect(c)}
                    aria-label=${t('Disconnect account {account}', { account: c.accountId })}>${t('Disconnect')}</button>`
                      }</td>`
                    : ''
                }
              </tr>`,
            )}</tbody></table></div>`
      }
      <p role="status" aria-live="polite">${notice}</p>
      ${
        admin
          ? html`<p><button type="button" onClick=${connect('hubspot')}>${t('Connect another HubSpot account')}</button>
              <button type="button" onClick=${connect('pipedrive')}>${t('Connect Pipedrive')}</button></p>`
          : ''
      }
    </section>
    <section aria-labelledby="snippet-h">
      <h3 id="snippet-h">${t('Tracking snippet')}</h3>
      <label for="snippet">${t('Paste this tag into every page of your website.')}</label>
      <textarea id="snippet" readonly rows="3">${data.tracking.snippet}</textarea>
      <p><button type="button" onClick=${copy}>${copied ? t('Copied') : t('Copy')}</button>
        <span role="status" aria-live="polite" class="visually-hidden">${copied ? t('Copied') : ''}</span></p>
      <p>${t('Last hit seen')}: <strong>${t.date(data.tracking.lastHitAt)}</strong></p>
    </section>
  </div>`
}
