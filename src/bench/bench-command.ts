/**
 * `leadgrid bench <engine|ingest|rescore|writeback|latency> [--json]`: runs one benchmark, prints
 * the machine, the figures and the same-run baseline in words (unless --json), and always ends with
 * the result as one JSON line. Progress goes to stderr, so stdout stays parseable.
 */
import { cpus, loadavg, totalmem } from 'node:os'
import { parseArgs } from 'node:util'
import { runEngineBench } from '../scoring/index.js'
import { machineLine } from './bench-machine.js'
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

const fmt = (n: number) => n.toLocaleString('en-US')
const cpu = (ms: number | null) => (ms === null ? 'n/a' : String(ms))
const progress = (line: string) => process.stderr.write(`${line}\n`)

function positive(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1)
    throw new BenchUsageError(`${name} must be a whole number ≥ 1, got "${value}"`)
  return n
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
  const human = !values.json
  const log = human ? progress : () => {}
  let result: object
  let text: string
  switch (target) {
    case 'engine': {
      const r = runEngineBench({ seconds: positive(values.seconds, '--seconds') })
      const machine = {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        database: 'none (engine only)',
        loadAverage: Math.round(loadavg()[0]! * 100) / 100,
      }
      result = { bench: 'engine', machine, ...r }
      text = `Starter grid, ${r.eventsPerContact} events per contact, one core:
  ${fmt(Math.round(r.evaluationsPerSecond))} evaluations/s (${r.contacts} contacts, cache-resident: the baseline)
  ${fmt(r.evaluationsPerSecondWithPrepare)} contacts/s including prepareEvents
  ${fmt(r.evaluationsPerSecondLargeWorkingSet)} evaluations/s over ${fmt(r.largeWorkingSet)} contacts (cache misses)
  (per CPU-second of this process; wall clock: ${fmt(r.wallClock.evaluationsPerSecond)} / ${fmt(r.wallClock.evaluationsPerSecondWithPrepare)} / ${fmt(r.wallClock.evaluationsPerSecondLargeWorkingSet)})`
      text = `${machineLine(machine)}\n${text}`
      break
    }
    case 'ingest': {
      const r = await runIngestBench({ batches: positive(values.batches, '--batches'), log })
      result = r
      text = `${machineLine(r.machine)}
HTTP API, ${r.batches} batches × ${r.eventsPerBatch} events, ${r.concurrency} senders, workers scoring:
  ${fmt(r.eventsPerSecond)} events/s; batch p50 ${r.p50BatchMs} ms, p95 ${r.p95BatchMs} ms, p99 ${r.p99BatchMs} ms; all ${fmt(r.contacts)} contacts scored ${r.secondsUntilAllScored} s after the first request
The same API at a fixed offered rate of ${fmt(r.fixedRate.offeredEventsPerSecond)} events/s (${r.fixedRate.batches} batches sent on a clock):
  ${fmt(r.fixedRate.achievedEventsPerSecond)} events/s achieved; batch p50 ${r.fixedRate.p50BatchMs} ms, p99 ${r.fixedRate.p99BatchMs} ms
Signed HubSpot webhook batches (100 events each), same senders:
  ${fmt(r.webhook.eventsPerSecond)} events/s acknowledged; p50 ${r.webhook.p50BatchMs} ms, p99 ${r.webhook.p99BatchMs} ms; ${r.webhook.secondsUntilProcessed === null ? `only ${fmt(r.webhook.processedDeliveries)} of ${fmt(r.webhook.deliveries)} deliveries processed within the wait` : `all processed and scored after ${r.webhook.secondsUntilProcessed} s`}
Baseline, same server: raw INSERT … unnest of the same rows: ${fmt(r.ceilingEventsPerSecond)} rows/s (p99 ${r.ceilingP99BatchMs} ms)
  ratio API / ceiling: ${r.ratio}
CPU per 100-event batch (ms): API — service ${cpu(r.cpuMsPerBatch.api.service)}, sender ${cpu(r.cpuMsPerBatch.api.sender)}, PostgreSQL ${cpu(r.cpuMsPerBatch.api.postgres)}; ceiling — service ${cpu(r.cpuMsPerBatch.ceiling.service)}, PostgreSQL ${cpu(r.cpuMsPerBatch.ceiling.postgres)}`
      break
    }
    case 'rescore': {
      const r = await runRescoreBench({ contacts: positive(values.contacts, '--contacts'), log })
      result = r
      text = `${machineLine(r.machine)}
${fmt(r.contacts)} contacts × ${r.eventsPerContact} events loaded with ${r.loadMethod} in ${r.loadSeconds} s (${fmt(r.loadRowsPerSecond)} rows/s)
Publish of a changed grid → no contact dirty: ${r.rescoreSeconds} s${r.finished ? '' : ' (NOT finished: timed out)'}, ${fmt(r.contactsPerSecond)} contacts/s, ${fmt(r.historyRows)} history rows
  peak RSS ${r.peakRssMb} MB (${r.rssBeforePublishMb} MB before the publish); this process used ${r.processCpuSeconds} CPU-s
Baseline: ${r.baseline.what}: ${fmt(r.baseline.contactsPerSecond)} contacts/s (${fmt(r.baseline.contactsPerCpuSecond)} per CPU-second)
  ratio: ${r.ratio}; 1,000,000 contacts at this rate (extrapolated, not run): ≈ ${fmt(r.extrapolatedSecondsFor1M)} s`
      break
    }
    case 'preview': {
      const r = await runPreviewBench({ contacts: positive(values.contacts, '--contacts'), log })
      result = r
      text = `${machineLine(r.machine)}
Preview of a draft over ${fmt(r.contacts)} contacts × ${r.eventsPerContact} events (loaded in ${r.loadSeconds} s): ${r.previewSeconds} s, ${fmt(r.contactsPerSecond)} contacts/s, ${fmt(r.contactsChangingBand)} change band; peak RSS ${r.peakRssMb} MB
Baseline, same run: ${r.baseline.what}: ${fmt(r.baseline.contactsPerSecond)} contacts/s → ratio ${r.ratio}
`
      break
    }
    case 'writeback': {
      const r = await runWritebackBench({ contacts: positive(values.contacts, '--contacts'), log })
      result = r
      text = `${machineLine(r.machine)}
${fmt(r.outboxRows)} changed contacts drained to the stand-in (110 requests / rolling 10 s) in ${r.drainSeconds} s${r.finished ? '' : ' (NOT finished: timed out)'}:
  ${fmt(r.contactsPerSecond)} contacts/s; ${r.batchCalls} batch calls over ${r.callWindowSeconds} s = ${Math.round(r.budgetShare * 100)} % of the budget (${Math.round(r.budgetShareOfFastest * 100)} % of the fastest pace it allows); ${r.rateLimited429} × 429; ${r.unchangedCalls} calls without a new value; ${r.parkedRows} parked
Second pass (identical grid published): ${r.secondPass.batchCalls} calls (${r.secondPass.contactsWritten} contacts; ${r.secondPass.unchangedCalls} of the calls without a new value)
Baseline: ${r.baseline.what}: ${fmt(r.baseline.contactsPerSecond)} contacts/s; ratio ${r.ratio}`
      break
    }
    case 'latency': {
      const r = await runLatencyBench({ changes: positive(values.changes, '--changes'), log })
      result = r
      text = `${machineLine(r.machine)}
HubSpot property change → score at the stand-in, ${r.changes} changes one at a time, at most one per ${r.paceMs} ms (within the portal's 110 calls per 10 s):
  p50 ${fmt(r.p50Ms)} ms, p99 ${fmt(r.p99Ms)} ms, max ${fmt(r.maxMs)} ms; ${r.timedOut} timed out
Baseline: ${r.baseline.what}: p50 ${r.baseline.p50Ms} ms`
      break
    }
    default:
      throw new BenchUsageError(
        `bench takes one of: engine, ingest, rescore, writeback, latency, preview\n${BENCH_USAGE}`,
      )
  }
  if (human) write(`${text}\n`)
  write(`${JSON.stringify(result)}\n`)
}
