/**
 * `npm run test:bench`: every `leadgrid bench …` run once with small sizes, as a user runs it (the
 * report in words, then the result as one JSON line), on the test database's server or embedded
 * PGlite. What is checked is the report's shape — the machine line first, the figures present and
 * positive, the same-run baseline beside them — and the counts that must be exact; never a speed.
 */
import { describe, expect, it } from 'vitest'
import { runBenchCommand } from '../../src/bench/bench-command.js'

const serverUrl = process.env.DATABASE_URL
const expectedDatabase = serverUrl ? /PostgreSQL \d+/ : /embedded PGlite \d+\.\d+/

interface Report {
  lines: string[]
  result: Record<string, unknown>
}

/** Runs `leadgrid bench <args>` without --json: the report's lines, and the JSON line that ends it. */
async function bench(args: string[]): Promise<Report> {
  let out = ''
  await runBenchCommand(args, (s) => {
    out += s
  })
  const lines = out.trim().split('\n')
  const result = JSON.parse(lines.at(-1)!) as Record<string, unknown>
  return { lines: lines.slice(0, -1), result }
}

/** The report opens with the machine it measured on, as the JSON's `machine` says. */
function expectMachineLine(report: Report, database: RegExp = expectedDatabase) {
  const machine = report.result['machine'] as Record<string, unknown>
  expect(machine).toMatchObject({ cores: expect.any(Number), node: process.version })
  expect(machine['database']).toMatch(database)
  expect(report.lines[0]).toMatch(/^Machine: .+, \d+ cores, \d+ GiB, Node v\d+\.\d+\.\d+, .+, load [\d.]+$/)
  expect(report.lines[0]).toContain(`${machine['cores']} cores`)
  expect(report.lines[0]).toMatch(database)
}

/** A line of the report that starts with `prefix` (the baseline's line, say). */
function lineStarting(report: Report, prefix: string): string {
  const line = report.lines.find((l) => l.trimStart().startsWith(prefix))
  expect(line, `a report line starting "${prefix}" in:\n${report.lines.join('\n')}`).toBeDefined()
  return line!
}

const positive = (value: unknown) => expect(value).toBeGreaterThan(0)

describe('leadgrid bench … with small sizes', () => {
  it('engine: evaluations per CPU-second, the cache-resident figure as the baseline', async () => {
    const r = await bench(['engine', '--seconds', '1'])
    expectMachineLine(r, /none \(engine only\)/)
    expect(lineStarting(r, 'Starter grid')).toContain('events per contact, one core')
    expect(
      lineStarting(r, `${Math.round(r.result['evaluationsPerSecond'] as number).toLocaleString('en-US')}`),
    ).toContain('the baseline')
    positive(r.result['evaluationsPerSecond'])
    positive(r.result['evaluationsPerSecondWithPrepare'])
    positive(r.result['evaluationsPerSecondLargeWorkingSet'])
  })

  it('rescore: contacts loaded, a publish rescored them all, the engine baseline beside it', async () => {
    const r = await bench(['rescore', '--contacts', '40'])
    expectMachineLine(r)
    expect(r.result).toMatchObject({
      bench: 'rescore',
      contacts: 40,
      eventsPerContact: 20,
      finished: true,
      loadMethod: serverUrl ? 'COPY FROM STDIN' : expect.stringContaining('unnest'),
    })
    for (const k of ['loadSeconds', 'rescoreSeconds', 'contactsPerSecond', 'peakRssMb', 'ratio'])
      positive(r.result[k])
    const baseline = r.result['baseline'] as Record<string, number>
    positive(baseline['contactsPerSecond'])
    positive(baseline['contactsPerCpuSecond'])
    expect(lineStarting(r, 'Publish of a changed grid')).toContain(
      `${r.result['contactsPerSecond']} contacts/s`,
    )
    expect(lineStarting(r, 'Baseline: the engine alone')).toContain(
      `${baseline['contactsPerSecond']!.toLocaleString('en-US')} contacts/s`,
    )
    // Whitepaper 25 → 30 points: some scores changed visibly, and none twice.
    expect(r.result['historyRows']).toBeGreaterThan(0)
    expect(r.result['historyRows']).toBeLessThanOrEqual(40)
  })

  it('preview: every contact previewed with the draft, the engine baseline beside it', async () => {
    const r = await bench(['preview', '--contacts', '40'])
    expectMachineLine(r)
    expect(r.result).toMatchObject({ bench: 'preview', contacts: 40, eventsPerContact: 20 })
    positive(r.result['previewSeconds'])
    positive(r.result['contactsPerSecond'])
    positive((r.result['baseline'] as Record<string, number>)['contactsPerSecond'])
    expect(r.result['contactsChangingBand']).toBeGreaterThanOrEqual(0)
    expect(lineStarting(r, 'Preview of a draft over 40 contacts')).toContain('contacts/s')
    expect(lineStarting(r, 'Baseline, same run: the engine alone')).toContain('→ ratio')
  })

  it('writeback: every changed contact written once, no 429, and the second pass makes no call', async () => {
    const r = await bench(['writeback', '--contacts', '150'])
    expectMachineLine(r)
    expect(r.result).toMatchObject({
      bench: 'writeback',
      finished: true,
      outboxRows: 150,
      contactsWritten: 150,
      batchCalls: 2,
      rateLimited429: 0,
      unchangedCalls: 0,
      parkedRows: 0,
      secondPass: { batchCalls: 0, unchangedCalls: 0 },
      baseline: { contactsPerSecond: 1100, callsPerTenSeconds: 110 },
    })
    positive(r.result['drainSeconds'])
    positive(r.result['contactsPerSecond'])
    expect(lineStarting(r, '150 changed contacts drained to the stand-in')).toContain(
      '110 requests / rolling 10 s',
    )
    expect(lineStarting(r, `${r.result['contactsPerSecond']} contacts/s; 2 batch calls over`)).toContain(
      '0 × 429',
    )
    expect(lineStarting(r, 'Second pass (identical grid published): 0 calls')).toBeTruthy()
    expect(lineStarting(r, 'Baseline: the portal budget')).toContain('1,100 contacts/s')
  })

  it('latency: each change arrives at the stand-in, with p50 and p99', async () => {
    const r = await bench(['latency', '--changes', '2'])
    expectMachineLine(r)
    expect(r.result).toMatchObject({ bench: 'latency', changes: 2, timedOut: 0 })
    positive(r.result['p50Ms'])
    expect(r.result['p99Ms']).toBeGreaterThanOrEqual(r.result['p50Ms'] as number)
    positive((r.result['baseline'] as Record<string, number>)['p50Ms'])
    expect(lineStarting(r, `p50 ${(r.result['p50Ms'] as number).toLocaleString('en-US')} ms`)).toContain(
      '0 timed out',
    )
    expect(lineStarting(r, 'Baseline: one batch-update round trip')).toMatch(/p50 [\d.]+ ms$/)
  })

  it('ingest: API, webhooks and the raw-insert ceiling measured in one run', async () => {
    const r = await bench(['ingest', '--batches', '2'])
    expectMachineLine(r)
    expect(r.result).toMatchObject({
      bench: 'ingest',
      batches: 2,
      fixedRate: { offeredEventsPerSecond: 5000, batches: 2 },
    })
    for (const k of ['eventsPerSecond', 'ceilingEventsPerSecond', 'ratio', 'p99BatchMs'])
      positive(r.result[k])
    const webhook = r.result['webhook'] as Record<string, unknown>
    positive(webhook['eventsPerSecond'])
    // One stored delivery per event: 2 batches of 100.
    expect(webhook).toMatchObject({ deliveries: 200, processedDeliveries: 200 })
    positive(webhook['secondsUntilProcessed'])
    positive((r.result['fixedRate'] as Record<string, number>)['p99BatchMs'])
    expect(lineStarting(r, 'HTTP API, 2 batches × 100 events')).toContain('workers scoring')
    expect(lineStarting(r, 'Baseline, same server: raw INSERT … unnest')).toContain('rows/s')
    // Where the CPU went: measured on Linux; PostgreSQL's share only with a local server.
    const cpu = r.result['cpuMsPerBatch'] as {
      api: Record<string, unknown>
      ceiling: Record<string, unknown>
    }
    expect(cpu.api['service']).toBeGreaterThanOrEqual(0)
    expect(cpu.api['sender']).toBeGreaterThanOrEqual(0)
    expect(cpu.ceiling['service']).toBeGreaterThanOrEqual(0)
    if (serverUrl) expect(cpu.api['postgres']).toEqual(expect.any(Number))
  })
})
