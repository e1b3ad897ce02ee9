/**
 * End to end: `leadgrid score --grid starter` (SPEC §7) on 300 generated contacts, each output line
 * compared with the independent Starter-grid reference (test/reference/starter-reference.ts).
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { generateContacts, NOW_ISO, NOW_MS } from '../reference/contact-generators.js'
import { type ReferenceResult, referenceScore } from '../reference/starter-reference.js'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'leadgrid-cli-score-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface OutputLine {
  id: string
  fit: number
  engagement: number
  score: number
  band: string
  grade: string
  mql: boolean
  reasons: string
  contributions: { ruleId: string; points: number }[]
  error?: string
}

describe('leadgrid score --grid starter (CLI)', () => {
  it('prints one line per input line, each equal to the reference', { timeout: 120_000 }, async () => {
    const lines = generateContacts(7_300, 300)
    const input = join(dir, 'contacts.jsonl')
    writeFileSync(input, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`)

    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'score', '--grid', 'starter', '--input', input, '--now', NOW_ISO],
      { cwd: process.cwd(), maxBuffer: 64 * 1024 * 1024, timeout: 110_000 },
    )

    const outputs = stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as OutputLine)
    expect(outputs).toHaveLength(lines.length)
    expect(outputs.filter((o) => o.error !== undefined)).toEqual([])

    const mismatches: { input: unknown; cli: ReferenceResult; reference: ReferenceResult }[] = []
    lines.forEach((line, i) => {
      const out = outputs[i]!
      const fired: Record<string, number> = {}
      for (const c of out.contributions) if (c.points !== 0) fired[c.ruleId] = c.points
      const cli = { ...out, fired }
      const reference = referenceScore(line, NOW_MS)
      const same =
        cli.id === reference.id &&
        cli.fit === reference.fit &&
        cli.engagement === reference.engagement &&
        cli.score === reference.score &&
        cli.band === reference.band &&
        cli.grade === reference.grade &&
        cli.mql === reference.mql &&
        JSON.stringify(Object.entries(fired).sort()) ===
          JSON.stringify(Object.entries(reference.fired).sort())
      if (!same) {
        const { reasons: _r, contributions: _c, ...rest } = cli
        mismatches.push({ input: line, cli: rest as ReferenceResult, reference })
      }
    })
    expect(mismatches).toEqual([])
    expect(typeof outputs[0]?.reasons).toBe('string')
  })
})
