/**
 * Connections and health: each CRM connection with the health fields recorded today, its backfill
 * progress, and (admins) a button sending parked write-backs back to the queue and one disconnecting
 * the connection (the CRM's own uninstall; Pipedrive's tokens revoked); "connect another
 * CRM" to attach a new HubSpot portal to this workspace; the website tracking snippet with a copy
 * button and when it was last heard from.
 */
import { useState } from 'preact/hooks'
import { api } from './lib/api.js'
import { html } from './lib/html.js'
import { usePage, useT } from './lib/page-context.js'
import { useApi } from './lib/use-api.js'

const COLUMNS = [
  'CRM',
  'Account',
  'Status',
  'Token expires',
  'Last webhook',
  'Initial import',
  'Write-back backlog',
  'Parked',
  'Last error',
]

/** The initial import: HubSpot gives no total, so a running backfill shows a moving bar and a count. */
function Backfill(/** @type {{ c: any }} */ { c }) {
  const t = useT()
  const b = c.backfill ?? {}
  if (!b.status) return html`—`
  const id = `backfill-${c.id}`
  const done = b.status === 'done'
  return html`<label for=${id}>${done ? t('Imported: {n} contacts', { n: t.number(b.processed ?? 0) }) : t('Importing: {n} contacts so far', { n: t.number(b.processed ?? 0) })}</label>
    ${done ? html`<progress id=${id} max="1" value="1"></progress>` : html`<progress id=${id}></progress>`}`
}

/** @param {{ c: any, onDisconnect: (c: any) => void }} props */
function DisconnectButton({ c, onDisconnect }) {
  const t = useT()
  if (c.status === 'uninstalled') return html`—`
  return html`<button type="button" onClick=${() => onDisconnect(c)}
    aria-label=${t('Disconnect account {account}', { account: c.accountId })}>${t('Disconnect')}</button>`
}

/** @param {{ connections: any[], onRetry: (c: any) => void, onDisconnect: (c: any) => void }} props */
function ConnectionsTable({ connections, onRetry, onDisconnect }) {
  const { t, admin } = usePage()
  const columns = admin ? [...COLUMNS, 'Actions'] : COLUMNS
  return html`<div class="table-wrap"><table>
    <thead><tr>${columns.map((h) => html`<th scope="col">${t(h)}</th>`)}</tr></thead>
    <tbody>${connections.map(
      (c) => html`<tr>
        <td>${c.provider === 'hubspot' ? 'HubSpot' : 'Pipedrive'}</td><td>${c.accountId}</td>
        <td><span class=${`status status-${c.status}`}>${c.status}</span></td>
        <td>${t.date(c.tokenExpiresAt)}</td><td>${t.date(c.lastWebhookAt)}</td>
        <td><${Backfill} c=${c} /></td>
        <td class="num">${t.number(c.pendingWrites)}</td>
        <td class="num">${t.number(c.parkedWrites)}
          ${
            admin && c.parkedWrites > 0
              ? html` <button type="button" onClick=${() => onRetry(c)}
            aria-label=${t('Retry the parked write-backs of {account}', { account: c.accountId })}>${t('Retry')}</button>`
              : ''
          }</td>
        <td>${c.lastError ? html`${c.lastError} <small>(${t.date(c.lastErrorAt)})</small>` : '—'}</td>
        ${admin ? html`<td><${DisconnectButton} c=${c} onDisconnect=${onDisconnect} /></td>` : ''}
      </tr>`,
    )}</tbody></table></div>`
}

/** @param {{ tracking: { snippet: string, lastHitAt: string | null } }} props */
function TrackingSnippet({ tracking }) {
  const t = useT()
  const [copied, setCopied] = useState(false)
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(tracking.snippet)
    } catch {
      // No clipboard permission (an iframe, an old browser): select the text for a manual copy.
      const box = /** @type {HTMLTextAreaElement | null} */ (document.getElementById('snippet'))
      box?.focus()
      box?.select()
    }
    setCopied(true)
    setTimeout(() => setCopied(false), 2000)
  }
  return html`<section aria-labelledby="snippet-h">
    <h3 id="snippet-h">${t('Tracking snippet')}</h3>
    <label for="snippet">${t('Paste this tag into every page of your website.')}</label>
    <textarea id="snippet" readonly rows="3">${tracking.snippet}</textarea>
    <p><button type="button" onClick=${copy}>${copied ? t('Copied') : t('Copy')}</button>
      <span role="status" aria-live="polite" class="visually-hidden">${copied ? t('Copied') : ''}</span></p>
    <p>${t('Last hit seen')}: <strong>${t.date(tracking.lastHitAt)}</strong></p>
  </section>`
}

export function ConnectionsPanel() {
  const { t, admin } = usePage()
  const { data, error, reload } = useApi(() => api.get('/connections'))
  // What the buttons did, or why they failed: said beside the table, the table stays.
  const actions = useApi(null)
  const [done, setDone] = useState('')
  const retry = (c) =>
    actions.act(async () => {
      const { retried } = await api.post(`/connections/${c.id}/retry-parked`)
      setDone(t('{n} parked write-backs sent back to the queue.', { n: t.number(retried) }))
      await reload()
    })
  const disconnect = (c) => {
    const names = { crm: c.provider === 'hubspot' ? 'HubSpot' : 'Pipedrive', account: c.accountId }
    if (!confirm(t('Disconnect {crm} account {account}? Scores stop being written there.', names))) return
    return actions.act(async () => {
      await api.post(`/connections/${c.id}/disconnect`)
      setDone(t('{crm} account {account} disconnected.', names))
      await reload()
    })
  }
  const connect = (/** @type {string} */ provider) => () =>
    actions.act(async () => {
      location.href = (await api.post(`/connections/${provider}/install-link`)).url
    })
  if (error) return html`<p class="error" role="alert">${error}</p>`
  if (!data) return html`<p>${t('Loading…')}</p>`
  return html`<div class="connections">
    <section aria-labelledby="crm-h">
      <h3 id="crm-h">${t('CRM connections')}</h3>
      ${
        data.connections.length === 0
          ? html`<p>${t('No CRM connected yet. Install Leadgrid from the HubSpot marketplace to connect a portal.')}</p>`
          : html`<${ConnectionsTable} connections=${data.connections} onRetry=${retry} onDisconnect=${disconnect} />`
      }
      <p role="status" aria-live="polite">${actions.error || done}</p>
      ${
        admin
          ? html`<p><button type="button" onClick=${connect('hubspot')}>${t('Connect another HubSpot account')}</button>
              <button type="button" onClick=${connect('pipedrive')}>${t('Connect Pipedrive')}</button></p>`
          : ''
      }
    </section>
    <${TrackingSnippet} tracking=${data.tracking} />
  </div>`
}
