/**
 * The optional two-person rule on the Versions tab: its switch (admins), and the publishes awaiting
 * a second admin — who approves or rejects them; the requester may only withdraw their own.
 */
import { useState } from 'preact/hooks'
import { api } from './lib/api.js'
import { html } from './lib/html.js'
import { usePage } from './lib/page-context.js'

/**
 * @typedef {{ id: string, requestedAt: string, requestedBy: string, note?: string | null,
 *   changes: string[] }} PublishRequest
 */

/**
 * @param {{ request: PublishRequest, decide: (r: PublishRequest, how: 'approve' | 'reject') => void }} props
 */
function RequestEntry({ request: r, decide }) {
  const { t, admin, actor } = usePage()
  const own = r.requestedBy === actor
  return html`<li class="request-entry">
    <p><time datetime=${r.requestedAt}>${t.date(r.requestedAt)}</time> · <strong>${r.requestedBy}</strong> · ${t('asks to publish')}</p>
    ${r.note ? html`<p class="muted">${r.note}</p>` : null}
    <ul class="changes">${r.changes.map((c) => html`<li>${c}</li>`)}</ul>
    ${
      admin
        ? html`<p>${
            own
              ? html`<span class="muted">${t('Another admin has to approve your request.')}</span> `
              : html`<button type="button" class="primary" onClick=${() => decide(r, 'approve')}>${t('Approve and publish')}</button> `
          }<button type="button" onClick=${() => decide(r, 'reject')}>${own ? t('Withdraw') : t('Reject')}</button></p>`
        : null
    }
  </li>`
}

/**
 * @typedef {object} ApprovalsProps
 * @property {PublishRequest[]} requests
 * @property {(approved?: { grid: unknown } | null) => Promise<void>} onChanged after any change; with
 *   the publish an approval made
 * @property {import('./lib/use-api.js').ApiState<unknown>['act']} act the panel's, so a refusal shows
 *   in its alert
 */

/** @param {ApprovalsProps} props */
export function Approvals({ requests, onChanged, act }) {
  const { t, admin, settings } = usePage()
  const [on, setOn] = useState(settings?.publishApproval === true)
  const toggle = (/** @type {boolean} */ value) => {
    // Shown at once: a re-render while the request runs must not flip the box back (it did, and a
    // click then looked ignored). The server's answer settles it; a refusal puts it back.
    setOn(value)
    return act(async () => {
      try {
        const res = await api.put('/settings', { publishApproval: value })
        setOn(res.settings.publishApproval)
      } catch (err) {
        setOn(!value)
        throw err
      }
      await onChanged()
    })
  }
  const decide = (/** @type {PublishRequest} */ r, /** @type {'approve' | 'reject'} */ how) =>
    act(async () => {
      const res = await api.post(`/publish-requests/${r.id}/${how}`)
      await onChanged(how === 'approve' ? res : null)
    })
  return html`<section aria-labelledby="approvals-h">
    <h3 id="approvals-h">${t('Approval')}</h3>
    <p><label><input type="checkbox" checked=${on} disabled=${!admin} onChange=${(e) => toggle(e.currentTarget.checked)} />
      ${' '}${t('Two-person rule: a publish needs a second admin’s approval')}</label></p>
    ${
      requests.length === 0
        ? on
          ? html`<p class="muted">${t('No publish awaits approval.')}</p>`
          : null
        : html`<ul class="audit">${requests.map((r) => html`<${RequestEntry} request=${r} decide=${decide} />`)}</ul>`
    }
  </section>`
}
