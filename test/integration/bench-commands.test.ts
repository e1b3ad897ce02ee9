/**
 * `leadgrid bench …` without running a benchmark (`npm run test:bench` runs them): the CRM
 * stand-in the write-back and latency benchmarks drive answers 429 past its budget over real HTTP,
 * and the command refuses an unknown benchmark and a bad size before it starts anything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runBenchCommand } from '../../src/bench/bench-command.js'
import { type CrmStandIn, startCrmStandIn } from '../../src/bench/crm-stand-in.js'

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

describe('leadgrid bench arguments', () => {
  it('refuses an unknown benchmark and a bad size', async () => {
    await expect(runBenchCommand(['nope'], () => {})).rejects.toThrow(
      /engine, ingest, rescore, writeback, latency/,
    )
    await expect(runBenchCommand([], () => {})).rejects.toThrow(/engine, ingest, rescore, writeback, latency/)
    await expect(runBenchCommand(['rescore', '--contacts', '0'], () => {})).rejects.toThrow(/--contacts/)
    await expect(runBenchCommand(['ingest', '--batches', 'many'], () => {})).rejects.toThrow(/--batches/)
    await expect(runBenchCommand(['engine', '--seconds', '1.5'], () => {})).rejects.toThrow(/--seconds/)
    await expect(runBenchCommand(['latency', '--sizes', '2'], () => {})).rejects.toThrow(/--sizes/)
  })
})
