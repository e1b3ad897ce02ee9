/**
 * Runs before every test file. Files share their worker's modules (vitest.config.ts, isolate:
 * false), so what a file leaves on a shared module must not reach the next file. nock is the one
 * that matters: a file may close the network (`nock.disableNetConnect()`) or leave interceptors
 * behind, and the next file's requests to its own servers would fail. So when a file ends, nock's
 * interceptors go and the network opens again. nock is looked up, not imported here, so a worker
 * whose files never use it never loads it (once loaded, nock stays active: restoring and
 * re-activating it loses its fetch interception).
 */
import { createRequire } from 'node:module'
import { afterAll } from 'vitest'

type Nock = typeof import('nock')

const require = createRequire(import.meta.url)
const nockPath = require.resolve('nock')

afterAll(() => {
  if (!require.cache[nockPath]) return
  const nock = require('nock') as Nock
  nock.cleanAll()
  nock.enableNetConnect()
})
