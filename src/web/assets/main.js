/**
 * The settings page and contact view, mounted by /app/. Preact + htm as ES modules served from
 * node_modules (no build step): a header with the workspace, the role and the language; the tabs
 * of tabs.js below it.
 */
import { render } from 'preact'
import { useEffect, useMemo, useState } from 'preact/hooks'
import { api } from './lib/api.js'
import { html } from './lib/html.js'
import { initialLanguage, rememberLanguage, translator } from './lib/i18n.js'
import { PageContext, pageOf } from './lib/page-context.js'
import { TABS, useTab } from './tabs.js'
import { useWorkspace } from './workspace-state.js'

/** @typedef {import('./lib/types.js').Lang} Lang */

const signOut = async () => {
  await api.post('/logout')
  location.href = '/app/'
}

/**
 * The workspace, the role, the language and sign out.
 * @param {{ page: import('./lib/page-context.js').Page, workspace: string, setLang: (l: Lang) => void }} props
 */
function Header({ page: { t, role }, workspace, setLang }) {
  return html`<header class="top">
    <div class="brand"><strong>Leadgrid</strong> <span class="ws">${workspace}</span>
      <span class=${`role role-${role}`}>${t(role)}</span></div>
    <div class="top-actions">
      <label for="lang">${t('Language')}</label>
      <select id="lang" onChange=${(e) => setLang(e.currentTarget.value)}>
        <option value="en" lang="en" selected=${t.lang === 'en'}>English</option>
        <option value="fr" lang="fr" selected=${t.lang === 'fr'}>Français</option>
      </select>
      <button type="button" onClick=${signOut}>${t('Sign out')}</button>
    </div>
  </header>`
}

function App() {
  const [lang, setLang] = useState(initialLanguage)
  const t = useMemo(() => translator(lang), [lang])
  const ws = useWorkspace()
  const { tab, param } = useTab()
  const { session, draft } = ws
  const page = useMemo(() => (session ? pageOf(session, t) : null), [session, t])

  useEffect(() => rememberLanguage(lang), [lang])

  if (ws.fatal === 'signed-out') {
    location.href = '/app/'
    return null
  }
  if (ws.fatal) return html`<main><p class="error" role="alert">${ws.fatal}</p></main>`
  if (!session || !draft || !page) return html`<main><p>${t('Loading…')}</p></main>`

  return html`<${PageContext.Provider} value=${page}><div class="layout">
    <${Header} page=${page} workspace=${session.workspace.name} setLang=${setLang} />
    <nav aria-label=${t('Main navigation')}>
      <ul class="tabs">${TABS.map(
        ({ id, label }) =>
          html`<li><a href=${`#/${id}`} aria-current=${tab.id === id ? 'page' : undefined}>${t(label)}</a></li>`,
      )}</ul>
    </nav>
    <main id="main">
      <h2 class="visually-hidden">${t(tab.label)}</h2>
      ${tab.view({ ...ws, session, draft }, param)}
    </main>
  </div><//>`
}

const root = /** @type {HTMLElement} */ (document.getElementById('app'))
// The server's "Loading…" placeholder goes: Preact renders beside existing children, not over them.
root.textContent = ''
render(html`<${App} />`, root)
