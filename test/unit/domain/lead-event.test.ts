import { describe, expect, it } from 'vitest'
import { validateEventAttributes } from '../../../src/domain/lead-event.js'

describe('event attributes', () => {
  it('reads enumerated attributes case-insensitively and stores them lower-case', () => {
    expect(validateEventAttributes('email.opened', { campaignId: 'c1', category: 'Newsletter' })).toEqual({
      ok: true,
      value: { campaignId: 'c1', category: 'newsletter' },
    })
    expect(validateEventAttributes('asset.downloaded', { assetId: 'a', assetType: 'CASE_STUDY' })).toEqual({
      ok: true,
      value: { assetId: 'a', assetType: 'case-study' },
    })
  })

  it('keeps free attributes beside the documented ones', () => {
    const r = validateEventAttributes('page.viewed', { url: '/x', utm_source: 'ads', visits: 3 })
    expect(r).toEqual({ ok: true, value: { url: '/x', utm_source: 'ads', visits: 3 } })
  })

  it('names the attribute that is wrong', () => {
    const r = validateEventAttributes('email.opened', { category: 'newsletter' })
    expect(r.ok).toBe(false)
    expect(!r.ok && r.issues.join()).toMatch(/attributes\.campaignId/)
    const bad = validateEventAttributes('asset.downloaded', { assetType: 'podcast' })
    expect(!bad.ok && bad.issues.join()).toMatch(/attributes\.assetType/)
  })

  it('refuses nested objects and too many attributes', () => {
    expect(validateEventAttributes('custom', { name: 'x', nested: { a: 1 } }).ok).toBe(false)
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i]))
    expect(validateEventAttributes('custom', { name: 'x', ...many }).ok).toBe(false)
  })
})
