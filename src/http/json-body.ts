/**
 * JSON bodies, parsed by us so the raw text stays on the request: webhook signatures are computed
 * over the exact bytes the sender sent (HubSpot v3, Pipedrive), never over a re-serialisation.
 *
 * Everything here is linear and iterative, never recursive: a 10 KB body of 5,000 nested arrays
 * must not overflow the stack. Nesting is measured on the text before JSON.parse, and a
 * body deeper than MAX_JSON_DEPTH is refused (400 `json_too_deep`) — or, on routes that must not
 * lose a batch over a field they do not read (HubSpot webhooks), parsed with the over-deep
 * subtrees pruned. Either way nothing deeper than the limit reaches zod, JSON.stringify or Postgres.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError, BadRequest } from '../errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string
    /** How many over-deep subtrees the parser dropped (routes with `jsonBody.overDeep: 'prune'`). */
    prunedJsonSubtrees?: number
  }
  interface FastifyContextConfig {
    /** Per-route choices of the JSON parser (see BodyOptions). */
    jsonBody?: BodyOptions
    /** Content types the route's body may have, named in the 415 answer (default application/json). */
    bodyContentTypes?: readonly string[]
  }
}

export interface BodyOptions {
  /** 'refuse' (default): a 400; 'prune': drop the containers nested deeper than the limit. */
  overDeep?: 'refuse' | 'prune'
  /** Action routes (publish, simulate) take no body: `content-type: application/json` with none is fine. */
  emptyIsNoBody?: boolean
}

/**
 * Deepest nesting accepted: 64 levels of arrays and objects. The deepest body Leadgrid reads is a
 * grid definition — {definition: {groups: [{rules: [{condition: …}]}]}} is 6 levels, and conditions
 * nest at most 8 logical levels (2 JSON levels each, src/scoring/schema.ts), so about 24 in all.
 * HubSpot's and the snippet's payloads are 2–4 levels. 64 leaves ample room for any honest client
 * while every recursive consumer downstream (zod, JSON.stringify, Postgres' jsonb) stays far from
 * its stack limit.
 */
export const MAX_JSON_DEPTH = 64

/** JSON escapes Postgres cannot store: NUL, and UTF-16 surrogate halves (maybe unpaired). */
const RISKY_ESCAPE = /\\u0000|\\u[dD][89a-fA-F]/
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

const OPEN_BRACKET = 0x5b // [
const OPEN_BRACE = 0x7b // {
const CLOSE_BRACKET = 0x5d // ]
const CLOSE_BRACE = 0x7d // }
const QUOTE = 0x22 // "
const BACKSLASH = 0x5c // \

/**
 * The deepest nesting of arrays and objects in a JSON text, in one pass, stopping as soon as it
 * passes `stopAbove` (the answer is then stopAbove + 1). Brackets inside strings do not count.
 * Malformed text gives some number; JSON.parse refuses it afterwards.
 */
export function jsonNestingDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
      continue
    }
    if (c === QUOTE) inString = true
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth++
      if (depth > max) {
        max = depth
        if (max > stopAbove) return max
      }
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) depth--
  }
  return max
}

/**
 * The nesting depth of a parsed value (a scalar is 0, `[]` is 1), walked with an explicit stack and
 * stopping as soon as it passes `stopAbove`, so a value thousands of levels deep costs little.
 */
export function jsonValueDepth(value: unknown, stopAbove = Number.POSITIVE_INFINITY): number {
  if (value === null || typeof value !== 'object') return 0
  let max = 0
  const stack: [object, number][] = [[value, 1]]
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!
    if (depth > max) {
      max = depth
      if (max > stopAbove) return max
    }
    for (const child of Object.values(node))
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1])
  }
  return max
}

function cleanString(s: string): string {
  return s.replaceAll('\u0000', '').replace(UNPAIRED_SURROGATE, '\uFFFD')
}

/**
 * Cleans every string (values and keys) of a freshly parsed document in place, and with `prune`
 * drops the containers nested deeper than `limit`. Iterative (an explicit stack), so any depth is
 * safe. Returns the cleaned root and how many subtrees were dropped.
 */
export function sanitizeParsedJson(
  root: unknown,
  options: { clean: boolean; pruneAbove?: number },
): { value: unknown; pruned: number } {
  const limit = options.pruneAbove ?? Number.POSITIVE_INFINITY
  const fix = (s: string) => (options.clean ? cleanString(s) : s)
  if (typeof root === 'string') return { value: fix(root), pruned: 0 }
  if (root === null || typeof root !== 'object') return { value: root, pruned: 0 }
  let pruned = 0
  const stack: [object, number][] = [[root, 1]]
  // Decides what becomes of one child: kept (and queued when a container) or dropped.
  const visit = (v: unknown, depth: number): { keep: boolean; value: unknown } => {
    if (typeof v === 'string') return { keep: true, value: fix(v) }
    if (v === null || typeof v !== 'object') return { keep: true, value: v }
    if (depth + 1 > limit) {
      pruned++
      return { keep: false, value: undefined }
    }
    stack.push([v, depth + 1])
    return { keep: true, value: v }
  }
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!
    if (Array.isArray(node)) {
      let kept = 0
      for (let i = 0; i < node.length; i++) {
        const r = visit(node[i], depth)
        if (r.keep) node[kept++] = r.value
      }
      node.length = kept
      continue
    }
    const record = node as Record<string, unknown>
    for (const key of Object.keys(record)) {
      const r = visit(record[key], depth)
      const newKey = fix(key)
      if (!r.keep || newKey !== key) delete record[key]
      // defineProperty, not assignment: a key "__proto__" from JSON.parse must stay a plain key.
      if (r.keep)
        Object.defineProperty(record, newKey, {
          value: r.value,
          enumerable: true,
          writable: true,
          configurable: true,
        })
    }
  }
  return { value: root, pruned }
}

/**
 * Parses a JSON body. Text Postgres cannot store (a NUL, half a surrogate pair) is removed or
 * replaced by U+FFFD rather than refused: a CRM webhook carrying one odd character must not lose
 * its whole batch, and no request may reach the database with it (it would be a 500).
 */
export function parseJsonBody(text: string, options: BodyOptions = {}): { value: unknown; pruned: number } {
  if (text.trim() === '') {
    if (options.emptyIsNoBody) return { value: undefined, pruned: 0 }
    throw new BadRequest('The body is empty; send a JSON document', undefined, 'invalid_json')
  }
  const depth = jsonNestingDepth(text, MAX_JSON_DEPTH)
  const tooDeep = depth > MAX_JSON_DEPTH
  if (tooDeep && options.overDeep !== 'prune')
    throw new BadRequest(
      `The JSON body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep; at most ${MAX_JSON_DEPTH} levels are accepted`,
      undefined,
      'json_too_deep',
    )
  let parsed: unknown
  try {
    // V8's JSON.parse is iterative: a deep document parses without touching the stack limit.
    parsed = JSON.parse(text)
  } catch (err) {
    throw new BadRequest(`The body is not valid JSON: ${(err as Error).message}`, undefined, 'invalid_json')
  }
  const clean = RISKY_ESCAPE.test(text)
  if (!clean && !tooDeep) return { value: parsed, pruned: 0 }
  return sanitizeParsedJson(parsed, { clean, ...(tooDeep ? { pruneAbove: MAX_JSON_DEPTH } : {}) })
}

/** The content-type parser callback for JSON text, reading the route's `jsonBody` options. */
export function jsonTextParser(
  request: FastifyRequest,
  body: string | Buffer,
  done: (err: Error | null, body?: unknown) => void,
): void {
  const text = typeof body === 'string' ? body : body.toString('utf8')
  request.rawBody = text
  try {
    const options = request.routeOptions.config?.jsonBody ?? {}
    // A DELETE carries no body by its nature; clients that add `content-type: application/json`
    // to every request (curl -H in a shell alias, most SDKs) must not be told their "JSON is empty".
    const { value, pruned } = parseJsonBody(
      text,
      request.method === 'DELETE' ? { ...options, emptyIsNoBody: true } : options,
    )
    if (pruned > 0) request.prunedJsonSubtrees = pruned
    done(null, value)
  } catch (err) {
    done(err as Error)
  }
}

export function installJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonTextParser)
}

/**
 * A 415 that says what to send: Fastify's own is a bare "Unsupported Media Type", which leaves a
 * client (curl without -H, a form post) guessing.
 */
export function unsupportedMediaType(request: FastifyRequest): AppError {
  const expected = request.routeOptions.config?.bodyContentTypes ?? ['application/json']
  const sent = request.headers['content-type']
  const got = sent ? `"content-type: ${String(sent).slice(0, 100)}"` : 'no content type'
  const wanted = expected.map((t) => `"content-type: ${t}"`).join(' or ')
  return new AppError(
    415,
    'unsupported_media_type',
    `This route takes a JSON body sent with ${wanted}; the request had ${got}`,
  )
}
