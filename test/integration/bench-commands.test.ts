/**
 * `leadgrid bench …` end to end with tiny sizes, on the test database's server (or embedded PGlite):
 * the last line is one JSON object with the machine, the figures and the same-run baseline; the
 * write-back's second pass makes no call; the stand-in answers 429 past its budget over real HTTP.
 * No timing is asserted — only that the figures exist and the counts are right.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBenchCommand } from '../../src/bench/bench-command.js'
import { type CrmStandIn, startCrmStandIn } from '../../src/bench/crm-stand-in.js'

// The benchmarks make their own scratch database on the same server the tests use.
const serverUrl = process.env.DATABASE_URL
const expectedDatabase = serverUrl ? /^PostgreSQL \d+/ : /^embedded PGlite \d+\.\d+/

async function lastJson(
  args: string[],
): Promise<Record<string, unknown> & { machine: Record<string, unknown> }> {
  let out = ''
  await runBenchCommand([...args, '--json'], (s) => {
    out += s
  })
  const lines = out.trim().split('\n')
  expect(lines).toHaveLength(1)
  return JSON.parse(lines[0]!)
}

function expectMachine(m: Record<string, unknown>) {
  expect(m).toMatchObject({ cores: expect.any(Number), node: process.version })
  expect(m['cpu']).toEqual(expect.any(String))
  expect(m['database']).toMatch(expectedDatabase)
}

describe('the CRM stand-in over HTTP', () => {
  let crm: CrmStandIn
  let t = 0
  beforeAll(async () => {
    crm = await startCrmStandIn({ requestsPerTenSeconds: 3, now: () => t })
  })
  afterAll(() => crm.close())

  const update = (properties: Record<string, string>) =>
    fetch(`${crm.baseUrl}/crm/v3/objects/contacts/batch/update`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ id: '1', properties }] }),
    })

  it('answers 429 with HubSpot’s policy beyond its budget, and counts calls that change nothing', async () => {
    const a = await update({ leadgrid_score: '10', leadgrid_scored_at: '1' })
    expect(a.status).toBe(200)
    expect(a.headers.get('x-hubspot-ratelimit-remaining')).toBe('2')
    expect((await update({ leadgrid_score: '10', leadgrid_scored_at: '2' })).status).toBe(200)
    expect((await update({ leadgrid_score: '11' })).status).toBe(200)
    const refused = await update({ leadgrid_score: '12' })
    expect(refused.status).toBe(429)
    expect(await refused.json()).toMatchObject({ policyName: 'TEN_SECONDLY_ROLLING' })
    expect(crm.stats).toMatchObject({
      batchUpdates: 3,
      rateLimited: 1,
      unchangedCalls: 1,
      contactsWritten: 3,
    })
    expect(crm.contacts.get('1')).toMatchObject({ leadgrid_score: '11' })
    t += 10_000
    expect((await update({ leadgrid_score: '12' })).status).toBe(200)
  })
})

describe('leadgrid bench … --json with tiny sizes', () => {
  it('rescore: contacts loaded, a publish rescored them all, the engine baseline beside it', async () => {
    const r = await lastJson(['rescore', '--contacts', '40'])
    expectMachine(r.machine)
    expect(r).toMatchObject({
      bench: 'rescore',
      contacts: 40,
      eventsPerContact: 20,
      finished: true,
      loadMethod: serverUrl ? 'COPY FROM STDIN' : expect.stringContaining('unnest'),
      contactsPerSecond: expect.any(Number),
      peakRssMb: expect.any(Number),
      baseline: { contactsPerSecond: expect.any(Number), contactsPerCpuSecond: expect.any(Number) },
    })
    // Whitepaper 25 → 30 points: some scores changed visibly, and none twice.
    expect(r['historyRows']).toBeGreaterThan(0)
    expect(r['historyRows']).toBeLessThanOrEqual(40)
  }, 180_000)

  it('preview: every contact previewed with the draft, the engine baseline beside it', async () => {
    const r = await lastJson(['preview', '--contacts', '40'])
    expectMachine(r.machine)
    expect(r).toMatchObject({
      bench: 'preview',
      contacts: 40,
      eventsPerContact: 20,
      previewSeconds: expect.any(Number),
      contactsPerSecond: expect.any(Number),
      baseline: { contactsPerSecond: expect.any(Number) },
    })
    expect(r['contactsChangingBand']).toBeGreaterThanOrEqual(0)
  }, 180_000)

  it('writeback: every changed contact written once, no 429, and the second pass makes no call', async () => {
    const r = await lastJson(['writeback', '--contacts', '150'])
    expectMachine(r.machine)
    expect(r).toMatchObject({
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
  }, 180_000)

  it('latency: each change arrives at the stand-in, with p50 and p99', async () => {
    const r = await lastJson(['latency', '--changes', '2'])
    expectMachine(r.machine)
    expect(r).toMatchObject({ bench: 'latency', changes: 2, timedOut: 0 })
    expect(r['p99Ms']).toBeGreaterThanOrEqual(r['p50Ms'] as number)
  }, 180_000)

  it('ingest: API, webhooks and the raw-insert ceiling measured in one run', async () => {
    const r = await lastJson(['ingest', '--batches', '2'])
    expectMachine(r.machine)
    expect(r).toMatchObject({
      bench: 'ingest',
      batches: 2,
      eventsPerSecond: expect.any(Number),
      ceilingEventsPerSecond: expect.any(Number),
      ratio: expect.any(Number),
      webhook: { eventsPerSecond: expect.any(Number) },
      fixedRate: { offeredEventsPerSecond: 5000, batches: 2, p99BatchMs: expect.any(Number) },
    })
    expect(r['webhook']).toHaveProperty('secondsUntilProcessed')
    // Where the CPU went: measured on Linux; PostgreSQL's share only with a local server.
    const cpu = r['cpuMsPerBatch'] as { api: Record<string, unknown>; ceiling: Record<string, unknown> }
    expect(cpu.api['service']).toEqual(expect.any(Number))
    expect(cpu.api['sender']).toEqual(expect.any(Number))
    expect(cpu.ceiling['service']).toEqual(expect.any(Number))
    if (serverUrl) expect(cpu.api['postgres']).toEqual(expect.any(Number))
  }, 300_000)

  it('refuses an unknown benchmark and a bad size', async () => {
    await expect(runBenchCommand(['nope'], () => {})).rejects.toThrow(
      /engine, ingest, rescore, writeback, latency/,
    )
    await expect(runBenchCommand(['rescore', '--contacts', '0'], () => {})).rejects.toThrow(/--contacts/)
  })
})
