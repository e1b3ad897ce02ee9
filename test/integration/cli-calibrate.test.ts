/**
 * End to end: `leadgrid calibrate --json` on a generated CSV (no ../shared), then its `grid` saved as
 * a draft through the same service `grid import` uses, and scored by the API's simulate route.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { syntheticLeads } from '../unit/calibration/synthetic-leads.js'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'leadgrid-cli-calibrate-'))
let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => {
  await t?.close()
  rmSync(dir, { recursive: true, force: true })
})

const cli = (args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: process.cwd(),
    maxBuffer: 64 * 1024 * 1024,
    timeout: 110_000,
  })

describe('leadgrid calibrate (CLI)', () => {
  it('prints a readable summary and, last, a JSON line whose grid imports as a draft', {
    timeout: 120_000,
  }, async () => {
    const csv = join(dir, 'leads.csv')
    const output = join(dir, 'grid.json')
    writeFileSync(csv, syntheticLeads({ rows: 5_000, seed: 7 }).csv)
    const { stdout } = await cli([
      'calibrate',
      '--csv',
      csv,
      '--outcome',
      'Won',
      '--id',
      'Lead Id',
      '--exclude',
      'Noise',
      '--missing',
      'Select',
      '--output',
      output,
      '--json',
    ])
    const lines = stdout.trim().split('\n')
    const last = JSON.parse(lines.at(-1)!)
    expect(Object.keys(last)).toEqual([
      'heldOutAuc',
      'baselineAuc',
      'precision',
      'recall',
      'threshold',
      'grid',
    ])
    expect(last.heldOutAuc).toBeGreaterThan(last.baselineAuc - 0.02)
    expect(last.threshold).toBe(80)
    expect(stdout).toMatch(/Lead Source = Reference: converts \d\.\d× more than average/)
    expect(stdout).not.toMatch(/Noise/)
    expect(JSON.parse(readFileSync(output, 'utf8'))).toEqual(last.grid)

    const auth = { authorization: `Bearer ${t.workspace.apiKey}` }
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/grids',
      headers: auth,
      payload: { definition: last.grid, note: 'calibrate' },
    })
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({ status: 'draft', name: 'Suggested from leads.csv' })
  })

  it('exits 2 with a clear message when the outcome column does not exist', { timeout: 60_000 }, async () => {
    const csv = join(dir, 'small.csv')
    writeFileSync(csv, 'a,b\n1,2\n')
    const error = await cli(['calibrate', '--csv', csv, '--outcome', 'Won']).catch((e) => e)
    expect(error.code).toBe(2)
    expect(error.stderr).toMatch(/no column "Won"/)
  })
})
