/**
 * Versions and audit log: every grid version (roll back to any earlier one in one click — a copy of
 * it is published as a new version) and who changed what and when, as a readable rule diff. Also the
 * optional two-person rule (approvals.js).
 */
import { useState } from 'preact/hooks'
import { Approvals } from './approvals.js'
import { api } from './lib/api.js'
import { html } from './lib/html.js'
import { usePage, useT } from './lib/page-context.js'
import { useApi } from './lib/use-api.js'
import { PublishProgress } from './publish-progress.js'

/** @typedef {import('./lib/types.js').GridVersion} GridVersion */
/**
 * @typedef {{ at: string, actor: string, action: string, details?: { version?: number,
 *   restoredVersion?: number, note?: string, changes?: unknown } | null }} AuditEntry
 */

/** @param {{ grids: GridVersion[], onRollBack: (g: GridVersion) => void }} props */
function Versions({ grids, onRollBack }) {
  const { t, admin } = usePage()
  return html`<section aria-labelledby="versions-h">
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
            g.status !== 'published' && admin
              ? html`<button type="button" onClick=${() => onRollBack(g)}>${t('Roll back to version {v}', { v: g.version })}</button>`
              : null
          }</td>
        </tr>`,
      )}</tbody>
    </table></div>
  </section>`
}

/** @param {{ entry: AuditEntry }} props */
function AuditEntryItem({ entry: e }) {
  const t = useT()
  const d = e.details
  const changes = Array.isArray(d?.changes) ? d.changes : []
  return html`<li class="audit-entry">
    <p><time datetime=${e.at}>${t.date(e.at)}</time> · <strong>${e.actor}</strong> · ${t(e.action)}
      ${d?.version ? html` · ${d.restoredVersion ? t('version {v}, restored from {r}', { v: d.version, r: d.restoredVersion }) : t('version {v}', { v: d.version })}` : null}</p>
    ${d?.note ? html`<p class="muted">${d.note}</p>` : null}
    ${changes.length ? html`<ul class="changes">${changes.map((c) => html`<li>${c}</li>`)}</ul>` : null}
  </li>`
}

/** @param {{ onPublished: () => void, refreshKey: number }} props */
export function HistoryPanel({ onPublished, refreshKey }) {
  const t = useT()
  const { data, error, reload, act } = useApi(async () => {
    const [g, a, r] = await Promise.all([api.get('/grids'), api.get('/audit'), api.get('/publish-requests')])
    return {
      grids: /** @type {GridVersion[]} */ (g.grids),
      audit: /** @type {AuditEntry[]} */ (a.entries),
      requests: r.requests,
    }
  }, [refreshKey])
  const [rolled, setRolled] = useState(
    /** @type {{ grid: { id: string, version: number }, changes: string[] } | null} */ (null),
  )
  const rollBack = (/** @type {GridVersion} */ grid) =>
    act(async () => {
      setRolled(await api.post(`/grids/${grid.id}/rollback`))
      onPublished()
      await reload()
    })
  if (!data) return html`<p>${t('Loading…')}</p>`
  return html`<div class="history">
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      rolled
        ? html`<div class="published" role="status"><p><strong>${t('Rolled back: version {v} is published.', { v: rolled.grid.version })}</strong></p>
          <ul class="changes">${rolled.changes.map((c) => html`<li>${c}</li>`)}</ul>
          <${PublishProgress} key=${rolled.grid.id} /></div>`
        : null
    }
    <${Approvals} requests=${data.requests} act=${act}
      onChanged=${async (approved) => {
        if (approved) {
          setRolled(null)
          onPublished()
        }
        await reload()
      }} />
    <${Versions} grids=${data.grids} onRollBack=${rollBack} />
    <section aria-labelledby="audit-h">
      <h3 id="audit-h">${t('Audit log')}</h3>
      <ol class="audit">${data.audit.map((e) => html`<${AuditEntryItem} entry=${e} />`)}</ol>
    </section>
  </div>`
}
