/**
 * String, number and URL normalization shared by grid compilation, event preparation and
 * evaluation. Hot-path functions take a fast path that avoids regexes for the common case.
 */
import type { PreparedValue } from './types.js'

// `_`, dashes (ASCII and Unicode hyphen/dash punctuation) and any whitespace become one space.
const SEPARATORS = /[\s_\-\u2010-\u2015\u2212]+/g

/** Lower-case, `_`/dashes as spaces, whitespace collapsed and trimmed. Accents are kept. */
export function normalizeText(input: string): string {
  const s = input.toLowerCase()
  // Fast path: nothing to replace when every char is a non-separator, bar single inner spaces.
  let clean = true
  let prevSpace = true // a leading space is not clean
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 32) {
      if (prevSpace) {
        clean = false
        break
      }
      prevSpace = true
    } else if (c === 95 || c === 45 || c < 32 || c === 160 || (c > 127 && isSeparatorCode(c))) {
      clean = false
      break
    } else prevSpace = false
  }
  if (clean && !prevSpace) return s
  if (clean && s.length === 0) return s
  return s.replace(SEPARATORS, ' ').trim()
}

function isSeparatorCode(c: number): boolean {
  return (
    (c >= 0x2010 && c <= 0x2015) ||
    c === 0x2212 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x1680 ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  )
}

const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u

/** Whether the char at `i` (code `c`) is part of a word: a letter, digit or mark, Unicode-aware. */
export function isWordCode(c: number, s: string, i: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90)
  // Rare (accented letters): a precompiled Unicode test on one character.
  return WORD_CHAR.test(s[i] as string)
}

/** Whole words of an already normalized string; boundaries are anything but letters, digits, marks. */
export function wordsOf(norm: string): string[] {
  const out: string[] = []
  let start = -1
  for (let i = 0; i < norm.length; i++) {
    if (isWordCode(norm.charCodeAt(i), norm, i)) {
      if (start < 0) start = i
    } else if (start >= 0) {
      out.push(norm.slice(start, i))
      start = -1
    }
  }
  if (start >= 0) out.push(start === 0 ? norm : norm.slice(start))
  return out
}

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)$/
// Thousands grouping a CRM export may carry ("1,000", "1 000", "1'000"): only whole groups of three,
// so a decimal comma ("1,5") is not misread as 15.
const GROUPED = /^[+-]?\d{1,3}([,\u00a0\u202f' ]\d{3})+(\.\d+)?$/
const GROUP_SEPARATORS = /[,\u00a0\u202f' ]/g

/** Numeric coercion: "200" → 200, "1,000" → 1000, "1 000" → 1000; anything else → NaN. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN
  if (typeof value !== 'string') return Number.NaN
  const first = value.charCodeAt(0)
  // Fast rejection of ordinary text (a job title, an industry) without touching a regex.
  if (!((first >= 48 && first <= 57) || first === 43 || first === 45 || first === 46 || first === 32)) {
    return Number.NaN
  }
  const s = value.trim()
  if (NUMERIC.test(s)) return Number(s)
  if (GROUPED.test(s)) return Number(s.replace(GROUP_SEPARATORS, ''))
  return Number.NaN
}

/** A raw scalar as a prepared value; undefined when unknown (null, blank, non-finite). */
export function toValue(raw: unknown): PreparedValue | undefined {
  if (typeof raw === 'string') {
    const norm = normalizeText(raw)
    if (norm.length === 0) return undefined
    return { raw, norm }
  }
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return undefined
    return { raw, norm: String(raw) }
  }
  if (typeof raw === 'boolean') return { raw, norm: raw ? 'true' : 'false' }
  return undefined
}

/** The email domain: after the last `@` (whole value without one), trimmed, lower-cased. */
export function domainOf(v: PreparedValue): string {
  const raw = v.raw
  if (typeof raw !== 'string') return v.norm
  const at = raw.lastIndexOf('@')
  const domain = at >= 0 ? raw.slice(at + 1) : raw
  return domain.trim().toLowerCase()
}

/** Lower-cased domain as written in a grid (`@acme.com` and `acme.com.` tolerated). */
export function normalizeDomain(d: string): string {
  let s = d.trim().toLowerCase()
  if (s.startsWith('@')) s = s.slice(1)
  if (s.endsWith('.')) s = s.slice(0, -1)
  return s
}

export interface ParsedUrl {
  host: string | null
  /** Lower-cased path without query or fragment; '' when none. */
  path: string
  /** Non-empty, percent-decoded, lower-cased segments. */
  segments: string[]
}

/**
 * Full URL, protocol-relative URL or bare path; query and fragment ignored. Read as browsers read
 * web URLs (WHATWG): a backslash is a slash, and `.` / `..` segments are resolved, so
 * `/pricing/../blog` is the blog and `https://acme.com\\pricing` is the pricing page.
 */
export function parseUrl(url: string): ParsedUrl {
  let s = url.trim()
  const q = s.indexOf('?')
  const h = s.indexOf('#')
  const cut = q < 0 ? h : h < 0 ? q : Math.min(q, h)
  if (cut >= 0) s = s.slice(0, cut)
  if (s.includes('\\') && isWebUrl(s)) s = s.replaceAll('\\', '/')
  let host: string | null = null
  const schemeEnd = schemeLength(s)
  if (schemeEnd > 0 || s.startsWith('//')) {
    const rest = s.slice(schemeEnd > 0 ? schemeEnd : 2)
    const slash = rest.indexOf('/')
    const authority = slash >= 0 ? rest.slice(0, slash) : rest
    const hostPort = authority.slice(authority.lastIndexOf('@') + 1)
    const colon = hostPort.lastIndexOf(':')
    host = (colon >= 0 && !hostPort.endsWith(']') ? hostPort.slice(0, colon) : hostPort).toLowerCase() || null
    s = slash >= 0 ? rest.slice(slash) : ''
  }
  let path = s.toLowerCase()
  const segments: string[] = []
  let dotted = false
  let start = 0
  for (let i = 0; i <= path.length; i++) {
    if (i === path.length || path.charCodeAt(i) === 47) {
      if (i > start) {
        const raw = path.slice(start, i)
        const dots = dotSegment(raw)
        if (dots === 0) segments.push(safeDecode(raw))
        else {
          dotted = true
          if (dots === 2) segments.pop()
        }
      }
      start = i + 1
    }
  }
  if (dotted) path = `/${segments.join('/')}`
  return { host, path, segments }
}

/** http(s), protocol-relative or a bare path: the URLs whose backslashes browsers read as slashes. */
function isWebUrl(s: string): boolean {
  const sep = s.indexOf('://')
  if (sep < 0) return !/^[a-z][a-z0-9+.-]*:/i.test(s)
  const scheme = s.slice(0, sep).toLowerCase()
  return scheme === 'http' || scheme === 'https'
}

/** 1 for a `.` segment, 2 for `..` (also percent-encoded, as WHATWG reads them), else 0. */
function dotSegment(raw: string): 0 | 1 | 2 {
  if (raw.length > 6 || (raw.charCodeAt(0) !== 46 && raw.charCodeAt(0) !== 37)) return 0
  const d = raw.replaceAll('%2e', '.')
  return d === '.' ? 1 : d === '..' ? 2 : 0
}

/** Length of `scheme://` at the start of `s`, 0 when there is none. */
function schemeLength(s: string): number {
  const sep = s.indexOf('://')
  if (sep <= 0) return 0
  for (let i = 0; i < sep; i++) {
    const c = s.charCodeAt(i) | 32 // lower-case ASCII letters
    const letter = c >= 97 && c <= 122
    if (!(letter || (i > 0 && ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)))) return 0
  }
  return sep + 3
}

function safeDecode(part: string): string {
  if (!part.includes('%')) return part
  try {
    return decodeURIComponent(part).toLowerCase()
  } catch {
    // A malformed escape (`%E9` in a Latin-1 URL) is kept as written rather than dropping the segment.
    return part
  }
}

/**
 * Round to `decimals`, halves away from zero, after snapping to 1e-9 at that scale so floating
 * noise (1.005 stored as 1.00499999…, 0.1 + 0.2 + 0.2) lands on the half the author meant.
 */
export function roundHalfAway(x: number, decimals = 0): number {
  if (Number.isInteger(x)) return x === 0 ? 0 : x // the common case: whole points
  const f = decimals === 0 ? 1 : decimals === 2 ? 100 : 10 ** decimals
  const scaled = Math.round(Math.abs(x) * f * 1e9) / 1e9
  const r = (Math.floor(scaled + 0.5) / f) * Math.sign(x)
  return r === 0 ? 0 : r // never -0
}
