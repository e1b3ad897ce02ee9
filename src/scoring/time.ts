/**
 * Instants and UTC days: parsing ISO-8601 once (in `prepareEvents`) and formatting days and
 * instants for evidence and `mqlSince`. A "day" is a UTC calendar day everywhere.
 */

export const DAY_MS = 86_400_000

const ZONED = /(?:z|[+-]\d\d(?::?\d\d)?)$/i

/**
 * Epoch ms of an ISO instant. A date-time without a zone is read as UTC — never as the machine's
 * local time, which would make a score depend on where it is computed. NaN when unparseable.
 */
export function parseInstant(iso: string): number {
  const fast = parseIsoFast(iso)
  if (!Number.isNaN(fast)) return fast
  const s = iso.trim()
  if (s.length > 10 && !ZONED.test(s)) return Date.parse(`${s}Z`)
  return Date.parse(s)
}

const digit = (s: string, i: number) => s.charCodeAt(i) - 48
const two = (s: string, i: number) => {
  const a = digit(s, i)
  const b = digit(s, i + 1)
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]`, the shape every producer sends, parsed with integer
 * arithmetic (several times faster than `Date.parse`). NaN for anything else, which then goes to
 * the general parser.
 */
function parseIsoFast(s: string): number {
  const n = s.length
  if (
    n < 19 ||
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  ) {
    return Number.NaN
  }
  const sep = s.charCodeAt(10)
  if (sep !== 84 && sep !== 116 && sep !== 32) return Number.NaN // T, t or space
  const y = two(s, 0) * 100 + two(s, 2)
  const m = two(s, 5)
  const d = two(s, 8)
  const hh = two(s, 11)
  const mm = two(s, 14)
  const ss = two(s, 17)
  if (
    y < 0 ||
    two(s, 0) < 0 ||
    m < 1 ||
    m > 12 ||
    d < 1 ||
    d > daysInMonth(y, m) ||
    hh < 0 ||
    hh > 23 ||
    mm < 0 ||
    mm > 59
  ) {
    return Number.NaN
  }
  if (ss < 0 || ss > 59) return Number.NaN
  let i = 19
  let ms = 0
  if (i < n && s.charCodeAt(i) === 46) {
    // Fraction: milliseconds from the first three digits, further digits ignored (truncated).
    let scale = 100
    i++
    const start = i
    while (i < n) {
      const c = digit(s, i)
      if (c < 0 || c > 9) break
      ms += c * scale
      scale /= 10
      i++
    }
    if (i === start) return Number.NaN
    ms = Math.floor(ms)
  }
  let offset = 0
  if (i === n)
    offset = 0 // no zone: UTC (see parseInstant)
  else if (i === n - 1 && (s.charCodeAt(i) === 90 || s.charCodeAt(i) === 122)) offset = 0
  else if (i === n - 6 && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45) && s.charCodeAt(i + 3) === 58) {
    const oh = two(s, i + 1)
    const om = two(s, i + 4)
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN
    offset = (s.charCodeAt(i) === 43 ? 1 : -1) * (oh * 60 + om) * 60_000
  } else return Number.NaN
  return daysFromCivil(y, m, d) * DAY_MS + ((hh * 60 + mm) * 60 + ss) * 1000 + ms - offset
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31
}

/** Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date. */
function daysFromCivil(year: number, m: number, d: number): number {
  const y = m <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

const isoDays = new Map<number, string>()

/** `YYYY-MM-DD` of a UTC day number (memoized: evidence repeats the same recent days). */
export function isoDay(day: number): string {
  let s = isoDays.get(day)
  if (s === undefined) {
    if (isoDays.size >= 4096) isoDays.clear()
    s = civilDay(day)
    isoDays.set(day, s)
  }
  return s
}

let lastInstant = Number.NaN
let lastInstantIso = ''

/** `new Date(ms).toISOString()`, remembering the last one: a batch is scored at one `now`. */
export function isoInstant(ms: number): string {
  if (ms !== lastInstant) {
    lastInstantIso = new Date(ms).toISOString()
    lastInstant = ms
  }
  return lastInstantIso
}

/** Howard Hinnant's civil_from_days: no Date object needed. */
function civilDay(day: number): string {
  const z = day + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  )
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0)
  return `${y}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`
}
