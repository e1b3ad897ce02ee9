/**
 * The settings page and contact view (issue 8), mounted by /app/. Preact + htm as ES modules served
 * from node_modules (no build step): a header with the workspace, the role and the language; tabs
 * for the grid editor, preview & publish, versions & audit, contacts and connections (hash routes,
 * so a reload or a CRM link lands on the same view).
 */
import { render } from 'preact'
import { useEffect, useMemo, useState } from 'preact/hooks'
import { api } from './api.js'
import { CalibrationPanel } from './calibration.js'
import { ConnectionsPanel } from './connections.js'
import { ContactSearch, ContactView } from './contacts.js'
import { html } from './fields.js'
import { GridEditor } from './grid-editor.js'
import { HistoryPanel } from './history.js'
import { initialLanguage, rememberLanguage, translator } from './i18n.js'
import { PreviewPanel } from './preview.js'

const TABS = [
  ['grid', 'Grid'],
  ['preview', 'Preview & publish'],
  ['history', 'Versions & audit'],
  ['contacts', 'Contacts'],
  ['connections', 'Connections'],
  ['calibration', 'Calibration'],
]

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

function App() {
  const [lang, setLang] = useState(initialLanguage)
  const t = useMemo(() => translator(lang), [lang])
  const [session, setSession] = useState(null)
  const [published, setPublished] = useState(null)
  const [draft, setDraftState] = useState(null)
  const [issues, setIssues] = useState([])
  const [fatal, setFatal] = useState('')
  const [refreshKey, setRefreshKey] = useState(0)
  const route = useHashRoute()

  useEffect(() => rememberLanguage(lang), [lang])

  const loadPublished = async () => {
    const { grids } = await api.get('/grids')
    const current = grids.find((g) => g.status === 'published')
    if (!current) return
    const full = await api.get(`/grids/${current.id}`)
    setPublished(full)
    setDraftState(structuredClone(full.definition))
  }

  useEffect(() => {
    api
      .session()
      .then(async (s) => {
        setSession(s)
        await loadPublished()
      })
      .catch((err) => setFatal(err.status === 401 ? 'signed-out' : err.message))
  }, [])

  // Validation by the server's schema, shortly after each edit.
  useEffect(() => {
    if (!draft) return undefined
    const timer = setTimeout(async () => {
      try {
        setIssues((await api.post('/grids/validate', { definition: draft })).issues)
      } catch (err) {
        setIssues([{ path: '', message: err.message }])
      }
    }, 250)
    return () => clearTimeout(timer)
  }, [draft])

  const onPublished = async () => {
    await loadPublished()
    setRefreshKey((k) => k + 1)
  }

  const signOut = async () => {
    await api.post('/logout')
    location.href = '/app/'
  }

  if (fatal === 'signed-out') {
    location.href = '/app/'
    return null
  }
  if (fatal) return html`<main><p class="error" role="alert">${fatal}</p></main>`
  if (!session || !draft) return html`<main><p>${t('Loading…')}</p></main>`

  const [tab, param] = route
  const readOnly = session.role !== 'admin'
  let body
  if (tab === 'preview')
    body = html`<${PreviewPanel} draft=${draft} issues=${issues} role=${session.role} t=${t} onPublished=${onPublished}
      publishedDefinition=${published?.definition} />`
  else if (tab === 'history')
    body = html`<${HistoryPanel} role=${session.role} actor=${session.actor} settings=${session.settings} t=${t} onPublished=${onPublished} refreshKey=${refreshKey} />`
  else if (tab === 'contacts' && param)
    body = html`<${ContactView} id=${param} t=${t} refreshKey=${refreshKey} />`
  else if (tab === 'contacts') body = html`<${ContactSearch} t=${t} />`
  else if (tab === 'calibration')
    body = html`<${CalibrationPanel} draft=${draft} role=${session.role} t=${t} onPublished=${onPublished}
      onLoadDraft=${(definition) => {
        setDraftState(structuredClone(definition))
        location.hash = '#/grid'
      }} />`
  else if (tab === 'connections') body = html`<${ConnectionsPanel} t=${t} role=${session.role} />`
  else
    body = html`<${GridEditor} draft=${draft} setDraft=${setDraftState} issues=${issues} published=${published} readOnly=${readOnly}
      t=${t} vocab=${session.vocabulary} onReset=${() => setDraftState(structuredClone(published.definition))} />`
  const current = TABS.find(([id]) => id === tab)?.[0] ?? 'grid'

  return html`<div class="layout">
    <header class="top">
      <div class="brand"><strong>Leadgrid</strong> <span class="ws">${session.workspace.name}</span>
        <span class=${`role role-${session.role}`}>${t(session.role)}</span></div>
      <div class="top-actions">
        <label for="lang">${t('Language')}</label>
        <select id="lang" onChange=${(e) => setLang(e.currentTarget.value)}>
          <option value="en" lang="en" selected=${lang === 'en'}>English</option>
          <option value="fr" lang="fr" selected=${lang === 'fr'}>Français</option>
        </select>
        <button type="button" onClick=${signOut}>${t('Sign out')}</button>
      </div>
    </header>
    <nav aria-label=${t('Main navigation')}>
      <ul class="tabs">${TABS.map(
        ([id, label]) =>
          html`<li><a href=${`#/${id}`} aria-current=${current === id ? 'page' : undefined}>${t(label)}</a></li>`,
      )}</ul>
    </nav>
    <main id="main">
      <h2 class="visually-hidden">${t(TABS.find(([id]) => id === current)[1])}</h2>
      ${body}
    </main>
  </div>`
}

const root = document.getElementById('app')
// The server's "Loading…" placeholder goes: Preact renders beside existing children, not over them.
root.textContent = ''
render(html`<${App} />`, root)
