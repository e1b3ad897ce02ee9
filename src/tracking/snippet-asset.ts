/**
 * The tracking snippet as served at GET /t.js: read once from snippet.js, compacted, compressed
 * ahead of time (brotli, gzip) and given a content hash as its ETag. The app has no compression
 * plugin, and this one small file is on every page of every customer's site.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

export interface SnippetAsset {
  /** The JavaScript served (compacted). */
  text: string
  identity: Buffer
  gzip: Buffer
  brotli: Buffer
  /** Weak, because the compressed and plain bodies are different bytes of the same content. */
  etag: string
}

/**
 * snippet.js sits next to this file in src/; `tsc` does not copy .js sources into dist/, so a
 * built server finds it back in src/.
 */
const CANDIDATES = [
  new URL('./snippet.js', import.meta.url),
  new URL('../../src/tracking/snippet.js', import.meta.url),
]

export async function loadSnippet(): Promise<SnippetAsset> {
  let lastError: unknown
  for (const url of CANDIDATES) {
    try {
      return buildSnippetAsset(await readFile(url, 'utf8'))
    } catch (err) {
      lastError = err
    }
  }
  throw new Error(`tracking snippet not found (looked for ${CANDIDATES.map(String).join(', ')})`, {
    cause: lastError,
  })
}

export function buildSnippetAsset(source: string): SnippetAsset {
  const text = compactSnippet(source)
  const identity = Buffer.from(text, 'utf8')
  return {
    text,
    identity,
    gzip: gzipSync(identity, { level: 9 }),
    brotli: brotliCompressSync(identity, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: identity.length },
    }),
    etag: `W/"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`,
  }
}

/**
 * Drops whole-line `//` comments, indentation and blank lines; nothing inside a line is touched.
 * Safe for snippet.js because it has no multi-line string or template literal (the unit tests run
 * the compacted script, not the source).
 */
export function compactSnippet(source: string): string {
  return `${source
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('//'))
    .join('\n')}\n`
}

/** The encoding to answer with, from Accept-Encoding (q=0 refuses an encoding). */
export function pickEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | 'identity' {
  if (!acceptEncoding) return 'identity'
  const accepted = new Set<string>()
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';')
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)).find(Boolean)
    if (name && (!q || Number(q[1]) > 0)) accepted.add(name)
  }
  if (accepted.has('br')) return 'br'
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip'
  return 'identity'
}

/** If-None-Match against our ETag (weak comparison, as RFC 9110 asks for GET). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false
  if (ifNoneMatch.trim() === '*') return true
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '')
  return ifNoneMatch.split(',').some((tag) => opaque(tag) === opaque(etag))
}
