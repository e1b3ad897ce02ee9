/**
 * The benchmark harness's own logic: the CRM stand-in's rolling window (what "110 requests / 10 s"
 * means), the generator's determinism (the same contacts on every run, so runs compare), the COPY
 * text encoding (a value that breaks it would load wrong rows silently), and percentiles.
 */
import { describe, expect, it } from 'vitest'
import { benchContacts, chunks } from '../../../src/bench/bench-contacts.js'
import { percentile } from '../../../src/bench/bench-machine.js'
import { createRollingWindow } from '../../../src/bench/crm-stand-in.js'
import { copyTextCell, copyTextRows } from '../../../src/db/bench/copy-rows.js'

describe('the stand-in rolling window', () => {
  it('admits max requests in any window, refuses the next, and admits again as the oldest ages out', () => {
    let t = 1_000_000
    const w = createRollingWindow({ max: 110, windowMs: 10_000, now: () => t })
    for (let i = 0; i < 110; i++) {
      expect(w.admit()).toBe(true)
      t += 10
    }
    expect(w.admit()).toBe(false)
    expect(w.remaining()).toBe(0)
    // The first request was at 1,000,000: it leaves the window at 1,010,000 exactly.
    t = 1_009_999
    expect(w.admit()).toBe(false)
    t = 1_010_000
    expect(w.admit()).toBe(true)
    expect(w.admit()).toBe(false)
  })

  it('does not count refused requests against the budget', () => {
    let t = 0
    const w = createRollingWindow({ max: 2, windowMs: 1000, now: () => t })
    expect([w.admit(), w.admit(), w.admit(), w.admit()]).toEqual([true, true, false, false])
    t = 1000
    expect([w.admit(), w.admit(), w.admit()]).toEqual([true, true, false])
  })
})

describe('the benchmark contacts', () => {
  const now = Date.UTC(2026, 10, 30, 12)

  it('are the same on every run for a seed, and differ for another seed', () => {
    const a = [...benchContacts({ count: 50, now, seed: 7 })]
    const b = [...benchContacts({ count: 50, now, seed: 7 })]
    const c = [...benchContacts({ count: 50, now, seed: 8 })]
    expect(JSON.stringify(a)).toBe(JSON.stringify(b))
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(c))
  })

  it('have 20 events each, unique keys, all before "now" and inside a 90-day lookback for most', () => {
    const list = [...benchContacts({ count: 200, now })]
    const events = list.flatMap((c) => c.events)
    expect(list.every((c) => c.events.length === 20)).toBe(true)
    expect(new Set(events.map((e) => e.dedupeKey)).size).toBe(events.length)
    expect(new Set(list.map((c) => c.hubspotId)).size).toBe(200)
    expect(events.every((e) => Date.parse(e.occurredAt) <= now)).toBe(true)
    const recent = events.filter((e) => Date.parse(e.occurredAt) > now - 90 * 86_400_000)
    expect(recent.length / events.length).toBeGreaterThan(0.5)
  })

  it('come in chunks that cover every contact once', () => {
    const sizes = [...chunks(benchContacts({ count: 2500, now }), 1000)].map((c) => c.length)
    expect(sizes).toEqual([1000, 1000, 500])
  })
})

describe('COPY text format', () => {
  it('escapes the separators and writes NULL as \\N', () => {
    expect(copyTextCell(null)).toBe('\\N')
    expect(copyTextCell(undefined)).toBe('\\N')
    expect(copyTextCell('a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re')
    expect(copyTextCell({ url: '/x?a=1\tb' })).toBe('{"url":"/x?a=1\\\\tb"}')
    expect(copyTextCell(new Date('2026-11-30T12:00:00.000Z'))).toBe('2026-11-30T12:00:00.000Z')
    expect(copyTextCell(false)).toBe('false')
    expect(
      copyTextRows([
        ['a', 1],
        [null, 'b'],
      ]),
    ).toBe('a\t1\n\\N\tb\n')
  })
})

describe('percentile', () => {
  it('is the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(percentile(values, 50)).toBe(50)
    expect(percentile(values, 99)).toBe(99)
    expect(percentile([3], 99)).toBe(3)
    expect(percentile([], 50)).toBe(0)
  })
})
