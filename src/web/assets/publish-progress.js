/**
 * The bar under a publish or a rollback: polls /progress until every contact has its new score. A
 * failed poll is retried: the bar only shows progress, publishing already happened.
 */
import { useEffect, useState } from 'preact/hooks'
import { api } from './lib/api.js'
import { html } from './lib/html.js'
import { useT } from './lib/page-context.js'

/** @param {{ onDone?: () => void }} props */
export function PublishProgress({ onDone }) {
  const t = useT()
  const [p, setP] = useState(/** @type {{ total: number, dirty: number } | null} */ (null))
  useEffect(() => {
    let stop = false
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer
    const tick = async () => {
      try {
        const next = await api.get('/progress')
        if (stop) return
        setP(next)
        if (next.dirty > 0) timer = setTimeout(tick, 500)
        else onDone?.()
      } catch {
        if (!stop) timer = setTimeout(tick, 1000)
      }
    }
    tick()
    return () => {
      stop = true
      clearTimeout(timer)
    }
  }, [])
  if (!p) return null
  const done = p.total - p.dirty
  return html`<div class="progress-box">
    <label for="publish-progress">${p.dirty > 0 ? t('Rescoring: {done} of {total} contacts', { done: t.number(done), total: t.number(p.total) }) : t('Every contact is rescored.')}</label>
    <progress id="publish-progress" max=${p.total || 1} value=${done}></progress>
  </div>`
}
