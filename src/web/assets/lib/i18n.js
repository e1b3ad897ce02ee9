/**
 * English and French. The language comes from the user's choice (kept in localStorage), else the
 * browser's; `<html lang>` follows; dates and numbers go through Intl in that language.
 */
import { fr } from './fr.js'

/** @typedef {import('./types.js').Lang} Lang */

/**
 * t('Key {x}', { x }) and the language's number and date formats.
 * @typedef {((key: string, vars?: Record<string, unknown>) => string) & {
 *   lang: Lang,
 *   number: (n: number | null | undefined) => string,
 *   date: (iso: string | null | undefined) => string,
 *   signed: (n: number) => string,
 * }} Translator
 */

const STORE = 'leadgrid.lang'

/** @type {Record<Lang, Record<string, string>>} */
const dictionaries = { en: {}, fr }

/** @returns {Lang} */
export function initialLanguage() {
  const stored = globalThis.localStorage?.getItem(STORE)
  if (stored === 'en' || stored === 'fr') return stored
  const nav = (globalThis.navigator?.languages ?? [globalThis.navigator?.language ?? 'en'])[0] ?? 'en'
  return String(nav).toLowerCase().startsWith('fr')
    ? 'fr'
    : document.documentElement.lang === 'fr'
      ? 'fr'
      : 'en'
}

/** @param {Lang} lang */
export function rememberLanguage(lang) {
  globalThis.localStorage?.setItem(STORE, lang)
  document.documentElement.lang = lang
}

/**
 * A translator for one language, with English as the fallback.
 * @param {Lang} lang
 * @returns {Translator}
 */
export function translator(lang) {
  const dict = dictionaries[lang] ?? {}
  const numbers = new Intl.NumberFormat(lang)
  const dates = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' })
  /** @param {string} key @param {Record<string, unknown>} [vars] */
  const translate = (key, vars) => {
    const text = dict[key] ?? key
    return vars ? text.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`)) : text
  }
  return Object.assign(translate, {
    lang,
    /** @param {number | null | undefined} n */
    number: (n) => (n === null || n === undefined ? '—' : numbers.format(n)),
    /** @param {string | null | undefined} iso */
    date: (iso) => (iso ? dates.format(new Date(iso)) : translate('never')),
    /** @param {number} n */
    signed: (n) => (n > 0 ? `+${numbers.format(n)}` : n < 0 ? `\u2212${numbers.format(-n)}` : '0'),
  })
}
