/**
 * `leadgrid bench <engine|ingest|rescore|writeback|latency> [--json]`: runs one benchmark, prints
 * the machine, the figures and the same-run baseline in words (unless --json), and always ends with
 * the result as one JSON line. Progress goes to stderr, so stdout stays parseable.
 */
import { parseArgs } from 'node:util'
import { runEngineBench } from '../scoring/index.js'
import { localMachine } from './bench-machine.js'
import {
  engineReport,
  ingestReport,
  latencyReport,
  previewReport,
  rescoreReport,
  writebackReport,
} from './bench-reports.js'
import { runIngestBench } from './ingest-bench.js'
import { runLatencyBench } from './latency-bench.js'
import { runPreviewBench } from './preview-bench.js'
import { runRescoreBench } from './rescore-bench.js'
import { runWritebackBench } from './writeback-bench.js'

export const BENCH_USAGE = `bench engine    [--json] [--seconds <n>]     the scoring engine on one core
  bench ingest    [--json] [--batches <n>]     HTTP API and HubSpot webhooks vs raw INSERT … unnest
  bench rescore   [--json] [--contacts <n>]    publish over N contacts × 20 events (default 100,000)
  bench writeback [--json] [--contacts <n>]    outbox drain against a 110/10 s CRM stand-in (default 100,000)
  bench latency   [--json] [--changes <n>]     HubSpot change → score written, one at a time (default 50)
  bench preview   [--json] [--contacts <n>]    the settings page's preview of a draft over N contacts (default 100,000)`

export class BenchUsageError extends Error {}

const progress = (line: string) => process.stderr.write(`${line}\n`)

function positive(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1)
    throw new BenchUsageError(`${name} must be a whole number ≥ 1, got "${value}"`)
  return n
}

interface BenchArgs {
  seconds?: string
  batches?: string
  contacts?: string
  changes?: string
}

/** One benchmark run: its result (the JSON line) and its report in words. */
type BenchRun = (values: BenchArgs, log: (line: string) => void) => Promise<{ result: object; text: string }>

const BENCHES: Record<string, BenchRun> = {
  async engine(values) {
    const r = runEngineBench({ seconds: positive(values.seconds, '--seconds') })
    const machine = localMachine('none (engine only)')
    return { result: { bench: 'engine', machine, ...r }, text: engineReport(machine, r) }
  },
  async ingest(values, log) {
    const r = await runIngestBench({ batches: positive(values.batches, '--batches'), log })
    return { result: r, text: ingestReport(r) }
  },
  async rescore(values, log) {
    const r = await runRescoreBench({ contacts: positive(values.contacts, '--contacts'), log })
    return { result: r, text: rescoreReport(r) }
  },
  async preview(values, log) {
    const r = await runPreviewBench({ contacts: positive(values.contacts, '--contacts'), log })
    return { result: r, text: previewReport(r) }
  },
  async writeback(values, log) {
    const r = await runWritebackBench({ contacts: positive(values.contacts, '--contacts'), log })
    return { result: r, text: writebackReport(r) }
  },
  async latency(values, log) {
    const r = await runLatencyBench({ changes: positive(values.changes, '--changes'), log })
    return { result: r, text: latencyReport(r) }
  },
}

export async function runBenchCommand(
  args: string[],
  write: (s: string) => unknown = (s) => process.stdout.write(s),
) {
  const [target, ...rest] = args
  const { values } = parseArgs({
    args: rest,
    options: {
      json: { type: 'boolean' },
      seconds: { type: 'string' },
      batches: { type: 'string' },
      contacts: { type: 'string' },
      changes: { type: 'string' },
    },
  })
  const run = target === undefined || !Object.hasOwn(BENCHES, target) ? undefined : BENCHES[target]
  if (!run) {
    throw new BenchUsageError(
      `bench takes one of: engine, ingest, rescore, writeback, latency, preview\n${BENCH_USAGE}`,
    )
  }
  const human = !values.json
  const { result, text } = await run(values, human ? progress : () => {})
  if (human) write(`${text}\n`)
  write(`${JSON.stringify(result)}\n`)
}
