/**
 * The tabs of the page, in order: each with its label and the view it shows. Routes are hashes
 * (`#/contacts/<id>`), so a reload or a CRM link lands on the same view; an unknown one shows the
 * first tab.
 */
import { useEffect, useState } from 'preact/hooks'
import { CalibrationPanel } from './calibration.js'
import { ConnectionsPanel } from './connections.js'
import { ContactSearch, ContactView } from './contacts.js'
import { GridEditor } from './grid-editor.js'
import { HistoryPanel } from './history.js'
import { html } from './lib/html.js'
import { PreviewPanel } from './preview.js'

/** @typedef {import('./workspace-state.js').Workspace} Workspace */

/**
 * A workspace whose session and draft are loaded: what a tab's view receives.
 * @typedef {Workspace & { session: NonNullable<Workspace['session']>,
 *   draft: NonNullable<Workspace['draft']> }} LoadedWorkspace
 */

/**
 * @typedef {object} Tab
 * @property {string} id its route: `#/<id>`
 * @property {string} label English; translated where shown
 * @property {(ws: LoadedWorkspace, param: string | undefined) => import('preact').VNode} view
 *   `param`: what follows the id in the route (a contact's id)
 */

/** @type {Tab[]} */
export const TABS = [
  {
    id: 'grid',
    label: 'Grid',
    view: (ws) => html`<${GridEditor} draft=${ws.draft} setDraft=${ws.setDraft} issues=${ws.issues}
      published=${ws.published} onReset=${() => ws.published && ws.setDraft(structuredClone(ws.published.definition))} />`,
  },
  {
    id: 'preview',
    label: 'Preview & publish',
    view: (ws) => html`<${PreviewPanel} draft=${ws.draft} issues=${ws.issues} onPublished=${ws.onPublished}
      publishedDefinition=${ws.published?.definition} />`,
  },
  {
    id: 'history',
    label: 'Versions & audit',
    view: (ws) => html`<${HistoryPanel} onPublished=${ws.onPublished} refreshKey=${ws.refreshKey} />`,
  },
  {
    id: 'contacts',
    label: 'Contacts',
    view: (ws, id) =>
      id ? html`<${ContactView} id=${id} refreshKey=${ws.refreshKey} />` : html`<${ContactSearch} />`,
  },
  { id: 'connections', label: 'Connections', view: () => html`<${ConnectionsPanel} />` },
  {
    id: 'calibration',
    label: 'Calibration',
    view: (ws) => html`<${CalibrationPanel} draft=${ws.draft} onPublished=${ws.onPublished}
      onLoadDraft=${(/** @type {import('./lib/types.js').GridDefinition} */ definition) => {
        ws.setDraft(structuredClone(definition))
        location.hash = '#/grid'
      }} />`,
  },
]

/** The route in the hash, as [tab id, param…]; follows the back and forward buttons. */
function useHashRoute() {
  const read = () => (location.hash.replace(/^#\/?/, '') || 'grid').split('/')
  const [route, setRoute] = useState(read)
  useEffect(() => {
    const on = () => setRoute(read())
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return route
}

/** The tab the hash names (the first one when it names none) and the rest of the route. */
export function useTab() {
  const [id, param] = useHashRoute()
  const tab = TABS.find((t) => t.id === id) ?? /** @type {Tab} */ (TABS[0])
  return { tab, param }
}
