#!/usr/bin/env node
/**
 * `npm run fuzz -- --count 10000 [--seed N]`: the route fuzz test (test/integration/fuzz-routes.test.ts)
 * with more cases than the normal `npm test` run. vitest takes no options of its own for this, so
 * the count and seed travel as FUZZ_COUNT and FUZZ_SEED.
 */
import { spawnSync } from 'node:child_process'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: { count: { type: 'string', default: '10000' }, seed: { type: 'string' } },
})
if (!/^\d+$/.test(values.count)) {
  process.stderr.write('--count takes a whole number of cases, e.g. --count 10000\n')
  process.exit(2)
}
const env = { ...process.env, FUZZ_COUNT: values.count }
if (values.seed !== undefined) env.FUZZ_SEED = values.seed
const run = spawnSync('npx', ['vitest', 'run', 'test/integration/fuzz-routes.test.ts'], {
  stdio: 'inherit',
  env,
})
process.exit(run.status ?? 1)
