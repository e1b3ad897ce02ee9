/**
 * Runs before every test file. Files share their worker's modules (vitest.config.ts, isolate:
 * false), so what a file leaves on a shared module must not reach the next file: nock's
 * interceptors and a network it closed (`nock.disableNetConnect()`) are reset when each file ends.
 */
import nock from 'nock'
import { afterAll } from 'vitest'

afterAll(() => {
  nock.cleanAll()
  nock.enableNetConnect()
})
