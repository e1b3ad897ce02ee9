/**
 * Pipedrive fixtures (test/fixtures/pipedrive/): documented payloads, each naming its source in
 * `_source`, which is dropped here so the body is what Pipedrive sends.
 */
import { readFileSync } from 'node:fs'

export function pipedriveFixture<T = Record<string, unknown>>(name: string): T {
  const { _source, ...body } = JSON.parse(
    readFileSync(new URL(`../fixtures/pipedrive/${name}`, import.meta.url), 'utf8'),
  )
  return body as T
}
