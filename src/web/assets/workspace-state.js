/**
 * The state every tab shares: the session, the published grid, the draft being edited (a copy of
 * the published definition until changed) and its validation by the server's schema, run shortly
 * after each edit.
 */
import { useEffect, useState } from 'preact/hooks'
import { ApiError, api, messageOf } from './lib/api.js'
import { useApi } from './lib/use-api.js'

/** @typedef {import('./lib/types.js').GridDefinition} GridDefinition */
/** @typedef {import('./lib/types.js').GridVersion} GridVersion */
/** @typedef {import('./lib/types.js').Issue} Issue */
/** @typedef {import('./lib/types.js').Session} Session */

/**
 * @typedef {object} Workspace
 * @property {Session | null} session null until signed in
 * @property {string} fatal why the page cannot show ('signed-out' when the session is gone)
 * @property {GridVersion | null} published
 * @property {GridDefinition | null} draft
 * @property {(draft: GridDefinition) => void} setDraft replaces the draft (an edit, an import, a suggestion)
 * @property {Issue[]} issues what the server's schema says of the draft
 * @property {() => Promise<void>} onPublished after a publish or rollback: reloads what it changed
 * @property {number} refreshKey grows after each publish, for the views showing scores and versions
 */

/** @returns {Workspace} */
export function useWorkspace() {
  const [session, setSession] = useState(/** @type {Session | null} */ (null))
  const [published, setPublished] = useState(/** @type {GridVersion | null} */ (null))
  const [draft, setDraft] = useState(/** @type {GridDefinition | null} */ (null))
  const [fatal, setFatal] = useState('')
  const [refreshKey, setRefreshKey] = useState(0)

  const loadPublished = async () => {
    const { grids } = await api.get('/grids')
    const current = grids.find((/** @type {GridVersion} */ g) => g.status === 'published')
    if (!current) return
    /** @type {GridVersion} */
    const full = await api.get(`/grids/${current.id}`)
    setPublished(full)
    setDraft(structuredClone(full.definition))
  }

  // Signing in is the one call whose failure is the whole page's: a 401 sends back to sign-in.
  useEffect(() => {
    api
      .session()
      .then(async (s) => {
        setSession(s)
        await loadPublished()
      })
      .catch((err) => setFatal(err instanceof ApiError && err.status === 401 ? 'signed-out' : messageOf(err)))
  }, [])

  const validation = useApi(
    draft ? () => api.post('/grids/validate', { definition: draft }) : null,
    [draft],
    {
      delay: 250,
    },
  )
  /** @type {Issue[]} */
  const issues = validation.error
    ? [{ path: '', message: validation.error }]
    : (validation.data?.issues ?? [])

  const onPublished = async () => {
    await loadPublished()
    setRefreshKey((k) => k + 1)
  }

  return { session, fatal, published, draft, setDraft, issues, onPublished, refreshKey }
}
