/**
 * Loading and acting on /app/api with the page's one way of showing it: data once loaded, the
 * message of the last failure (cleared when the next call starts or a load succeeds), and which
 * action is running so its button can say so.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { messageOf } from './api.js'

/**
 * @template T
 * @typedef {object} ApiState
 * @property {T | null} data what `load` gave last, null until then
 * @property {string} error the message of the last failure, '' when none
 * @property {string} busy the name of the action running, '' when none
 * @property {() => Promise<void>} reload loads again (after an action that changes the data)
 * @property {<R>(action: () => Promise<R>, name?: string) => Promise<R | undefined>} act
 *   runs one action: `busy` is its name meanwhile; a failure goes to `error` (and gives undefined)
 * @property {(message: string) => void} setError
 */

/**
 * @template T
 * @param {(() => Promise<T>) | null} load called on mount and when `deps` change; null for a part
 *   that only acts
 * @param {unknown[]} [deps]
 * @param {{ delay?: number }} [options] `delay`: wait this many ms after the last change (typing)
 * @returns {ApiState<T>}
 */
export function useApi(load, deps = [], options = {}) {
  const [data, setData] = useState(/** @type {T | null} */ (null))
  const [error, setError] = useState('')
  const [busy, setBusy] = useState('')
  // Only the latest load may land: an older answer arriving late must not overwrite a newer one.
  const latest = useRef(0)

  const reload = async () => {
    if (!load) return
    const call = ++latest.current
    try {
      const next = await load()
      if (call !== latest.current) return
      setData(next)
      setError('')
    } catch (err) {
      if (call === latest.current) setError(messageOf(err))
    }
  }

  useEffect(() => {
    if (!load) return undefined
    if (!options.delay) {
      reload()
      return () => {
        latest.current++
      }
    }
    const timer = setTimeout(reload, options.delay)
    return () => clearTimeout(timer)
  }, deps)

  /** @type {ApiState<T>['act']} */
  const act = async (action, name = 'busy') => {
    setBusy(name)
    setError('')
    try {
      return await action()
    } catch (err) {
      setError(messageOf(err))
      return undefined
    } finally {
      setBusy('')
    }
  }

  return { data, error, busy, reload, act, setError }
}
