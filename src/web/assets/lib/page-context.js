/**
 * What every part of the page may need without it being passed down: the translator, who is signed
 * in with which role, and the grid vocabulary of the session. `App` provides it once.
 */
import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import { translator } from './i18n.js'

/**
 * @typedef {object} Page
 * @property {import('./i18n.js').Translator} t
 * @property {import('./types.js').Role} role
 * @property {boolean} admin only admins edit, publish and act on connections
 * @property {string} actor who signed in
 * @property {import('./types.js').Session['settings']} settings
 * @property {import('./types.js').Vocabulary} vocabulary
 */

/** @type {import('preact').Context<Page>} */
export const PageContext = createContext(
  /** @type {Page} */ ({
    t: translator('en'),
    role: 'viewer',
    admin: false,
    actor: '',
    settings: { publishApproval: false },
    vocabulary: { eventTypes: [], emailCategories: [], conditionOps: [] },
  }),
)

/**
 * @param {import('./types.js').Session} session
 * @param {import('./i18n.js').Translator} t
 * @returns {Page}
 */
export function pageOf(session, t) {
  const { role, actor, settings, vocabulary } = session
  return { t, role, admin: role === 'admin', actor, settings, vocabulary }
}

export const usePage = () => useContext(PageContext)

/** The translator alone, for the many parts that only show text. */
export const useT = () => useContext(PageContext).t
