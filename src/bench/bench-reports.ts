/**
 * The benchmarks' reports in words: the machine line first, then the figures and the same-run
 * baseline, one formatter per benchmark (`leadgrid bench …` without --json prints these).
 */
import type { EngineBenchResult } from '../scoring/index.js'
import { type BenchMachine, machineLine } from './bench-machine.js'
import type { IngestBenchResult } from './ingest-bench.js'
import type { LatencyBenchResult } from './latency-bench.js'
import type { PreviewBenchResult } from './preview-bench.js'
import type { RescoreBenchResult } from './rescore-bench.js'
import type { WritebackBenchResult } from './writeback-bench.js'

const fmt = (n: number) => n.toLocaleString('en-US')
const cpu = (ms: number | null) => (ms === null ? 'n/a' : String(ms))

export function engineReport(machine: BenchMachine, r: EngineBenchResult): string {
  return `${machineLine(machine)}
Starter grid, ${r.eventsPerContact} events per contact, one core:
  ${fmt(Math.round(r.evaluationsPerSecond))} evaluations/s (${r.contacts} contacts, cache-resident: the baseline)
  ${fmt(r.evaluationsPerSecondWithPrepare)} contacts/s including prepareEvents
  ${fmt(r.evaluationsPerSecondLargeWorkingSet)} evaluations/s over ${fmt(r.largeWorkingSet)} contacts (cache misses)
  (per CPU-second of this process; wall clock: ${fmt(r.wallClock.evaluationsPerSecond)} / ${fmt(r.wallClock.evaluationsPerSecondWithPrepare)} / ${fmt(r.wallClock.evaluationsPerSecondLargeWorkingSet)})`
}

export function ingestReport(r: IngestBenchResult): string {
  return `${machineLine(r.machine)}
HTTP API, ${r.batches} batches × ${r.eventsPerBatch} events, ${r.concurrency} senders, workers scoring:
  ${fmt(r.eventsPerSecond)} events/s; batch p50 ${r.p50BatchMs} ms, p95 ${r.p95BatchMs} ms, p99 ${r.p99BatchMs} ms; all ${fmt(r.contacts)} contacts scored ${r.secondsUntilAllScored} s after the first request
The same API at a fixed offered rate of ${fmt(r.fixedRate.offeredEventsPerSecond)} events/s (${r.fixedRate.batches} batches sent on a clock):
  ${fmt(r.fixedRate.achievedEventsPerSecond)} events/s achieved; batch p50 ${r.fixedRate.p50BatchMs} ms, p99 ${r.fixedRate.p99BatchMs} ms
Signed HubSpot webhook batches (100 events each), same senders:
  ${fmt(r.webhook.eventsPerSecond)} events/s acknowledged; p50 ${r.webhook.p50BatchMs} ms, p99 ${r.webhook.p99BatchMs} ms; ${r.webhook.secondsUntilProcessed === null ? `only ${fmt(r.webhook.processedDeliveries)} of ${fmt(r.webhook.deliveries)} deliveries processed within the wait` : `all processed and scored after ${r.webhook.secondsUntilProcessed} s`}
Baseline, same server: raw INSERT … unnest of the same rows: ${fmt(r.ceilingEventsPerSecond)} rows/s (p99 ${r.ceilingP99BatchMs} ms)
  ratio API / ceiling: ${r.ratio}
CPU per 100-event batch (ms): API — service ${cpu(r.cpuMsPerBatch.api.service)}, sender ${cpu(r.cpuMsPerBatch.api.sender)}, PostgreSQL ${cpu(r.cpuMsPerBatch.api.postgres)}; ceiling — service ${cpu(r.cpuMsPerBatch.ceiling.service)}, PostgreSQL ${cpu(r.cpuMsPerBatch.ceiling.postgres)}`
}

export function rescoreReport(r: RescoreBenchResult): string {
  return `${machineLine(r.machine)}
${fmt(r.contacts)} contacts × ${r.eventsPerContact} events loaded with ${r.loadMethod} in ${r.loadSeconds} s (${fmt(r.loadRowsPerSecond)} rows/s)
Publish of a changed grid → no contact dirty: ${r.rescoreSeconds} s${r.finished ? '' : ' (NOT finished: timed out)'}, ${fmt(r.contactsPerSecond)} contacts/s, ${fmt(r.historyRows)} history rows
  peak RSS ${r.peakRssMb} MB (${r.rssBeforePublishMb} MB before the publish); this process used ${r.processCpuSeconds} CPU-s
Baseline: ${r.baseline.what}: ${fmt(r.baseline.contactsPerSecond)} contacts/s (${fmt(r.baseline.contactsPerCpuSecond)} per CPU-second)
  ratio: ${r.ratio}; 1,000,000 contacts at this rate (extrapolated, not run): ≈ ${fmt(r.extrapolatedSecondsFor1M)} s`
}

export function previewReport(r: PreviewBenchResult): string {
  return `${machineLine(r.machine)}
Preview of a draft over ${fmt(r.contacts)} contacts × ${r.eventsPerContact} events (loaded in ${r.loadSeconds} s): ${r.previewSeconds} s, ${fmt(r.contactsPerSecond)} contacts/s, ${fmt(r.contactsChangingBand)} change band; peak RSS ${r.peakRssMb} MB
Baseline, same run: ${r.baseline.what}: ${fmt(r.baseline.contactsPerSecond)} contacts/s → ratio ${r.ratio}
`
}

export function writebackReport(r: WritebackBenchResult): string {
  return `${machineLine(r.machine)}
${fmt(r.outboxRows)} changed contacts drained to the stand-in (110 requests / rolling 10 s) in ${r.drainSeconds} s${r.finished ? '' : ' (NOT finished: timed out)'}:
  ${fmt(r.contactsPerSecond)} contacts/s; ${r.batchCalls} batch calls over ${r.callWindowSeconds} s = ${Math.round(r.budgetShare * 100)} % of the budget (${Math.round(r.budgetShareOfFastest * 100)} % of the fastest pace it allows); ${r.rateLimited429} × 429; ${r.unchangedCalls} calls without a new value; ${r.parkedRows} parked
Second pass (identical grid published): ${r.secondPass.batchCalls} calls (${r.secondPass.contactsWritten} contacts; ${r.secondPass.unchangedCalls} of the calls without a new value)
Baseline: ${r.baseline.what}: ${fmt(r.baseline.contactsPerSecond)} contacts/s; ratio ${r.ratio}`
}

export function latencyReport(r: LatencyBenchResult): string {
  return `${machineLine(r.machine)}
HubSpot property change → score at the stand-in, ${r.changes} changes one at a time, at most one per ${r.paceMs} ms (within the portal's 110 calls per 10 s):
  p50 ${fmt(r.p50Ms)} ms, p99 ${fmt(r.p99Ms)} ms, max ${fmt(r.maxMs)} ms; ${r.timedOut} timed out
Baseline: ${r.baseline.what}: p50 ${r.baseline.p50Ms} ms`
}
